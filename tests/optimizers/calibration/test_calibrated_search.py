"""Calibrated search: a search trial's rows answered with cross-fitted choice offsets, so
instructions that all give one raw label are told apart by what calibration makes of them."""

from typing import Any

from instruction_lms import instruction_sensitive
from review_data import HEADER, Review, reviews

import engine as dspy
from engine.lm.lm import LM
from engine.lm.scripted import input_fields
from engine.optimizers import COPRO, RunContext
from engine.optimizers.calibration._cross_fit import MIN_ROWS, UNCALIBRATED
from engine.optimizers.spine import TrialRunner

CAREFUL = "Read the review carefully and tell whether it is positive."


def right(example: Any, prediction: Any, trace: Any = None) -> bool:
    return example.positive == prediction.positive


class LeaningLM(LM):
    """Answers `true` to every review, like a small model with a lean; its `true - false`
    log-odds rank the reviews right (good above bad) only when the instruction says
    "carefully", otherwise they follow something unrelated to the label (the review's number:
    half right). Reports its choice scores as the embedded model does; counts task calls."""

    def __init__(self) -> None:
        super().__init__("local/leaning-fake", cache=False)
        self.calls = 0

    @property
    def supports_stop(self) -> bool:
        return True

    def _complete(self, messages: list[dict], params: dict) -> tuple[list[str], dict]:
        self.calls += 1
        review = input_fields(messages[-1]["content"])["review"]
        number = int(review.rsplit(" ", 1)[-1])
        if "carefully" in messages[0]["content"]:
            odds = 2.0 + (0.8 if review.startswith("good") else -0.8)
        else:
            odds = 2.0 + (0.8 if number % 4 < 2 else -0.8)
        scores = {"true": -0.1, "false": -0.1 - odds}
        offsets = (params.get("reply_bias") or {}).get(HEADER, {})
        pick = max(scores, key=lambda v: scores[v] - offsets.get(v, 0.0))
        text = f"{HEADER}\n{pick}\n\n[[ ## completed ## ]]"
        usage = {"prompt_tokens": 10, "completion_tokens": 2, "cost": 0.0,
                 "choice_scores": [{HEADER: scores}]}  # fmt: skip
        return [text], usage


def careful() -> Any:
    program = dspy.Predict(Review)
    program.signature = program.signature.with_instructions(CAREFUL)
    return program


def evaluate(program: Any, examples: list, calibrated_search: bool, **kw: Any) -> Any:
    runner = TrialRunner(RunContext(), right, calibrated_search=calibrated_search)
    lm = LeaningLM()
    with dspy.context(lm=lm), runner.run.activate():
        return runner, runner.evaluate(program, examples, subset=kw.pop("subset", "val"), **kw)


def test_a_trial_is_scored_as_calibration_would_answer_and_keeps_the_raw_answers():
    runner, trial = evaluate(careful(), reviews(20), calibrated_search=True)
    assert trial.score == 1.0  # every fold's offsets, fitted on the other rows, separate them
    changed = [r for r in trial.rows if UNCALIBRATED in r["trace"][0]]
    assert len(changed) == 10  # the bad reviews, raw `true`, now `false`
    assert all(r["trace"][0][UNCALIBRATED] == {"outputs": {"positive": True}, "score": 0.0}
               for r in changed)  # fmt: skip
    assert all(r["trace"][0]["outputs"]["positive"] is False for r in changed)
    assert all(r["outputs"]["positive"] is False and r["score"] == 1.0 for r in changed)
    assert not any(UNCALIBRATED in row["trace"][0] for row in runner.run.results.values())
    assert sum(row["score"] for row in runner.run.results.values()) == 10
    logs = [e.data["message"] for e in runner.run.recorder.events if e.type == "log"]
    assert any("calibrated search" in m and "0.500 -> 1.000" in m for m in logs)

    _, plain = evaluate(careful(), reviews(20), calibrated_search=False)
    assert plain.score == 0.5 and not any(UNCALIBRATED in r["trace"][0] for r in plain.rows)


def test_an_uninformative_ranking_gains_nothing_held_out():
    _, trial = evaluate(dspy.Predict(Review), reviews(20), calibrated_search=True)
    assert trial.score <= 0.5  # its offsets fit the other folds' accidents, not the label


def test_small_trials_calibrated_programs_and_other_subsets_are_left_raw():
    _, small = evaluate(careful(), reviews(MIN_ROWS - 1), calibrated_search=True)
    assert small.score < 0.5 + 1e-9 and not any(UNCALIBRATED in r["trace"][0] for r in small.rows)
    _, train = evaluate(careful(), reviews(20), calibrated_search=True, subset="train")
    assert train.score == 0.5
    fitted = careful()
    fitted.choice_offsets = {"positive": {"true": 2.0}}
    _, calibrated = evaluate(fitted, reviews(20), calibrated_search=True)
    assert calibrated.score == 1.0
    assert not any(UNCALIBRATED in r["trace"][0] for r in calibrated.rows)


def test_racing_is_off_where_rows_are_rescored():
    runner = TrialRunner(RunContext(), right, calibrated_search=True)
    lm = LeaningLM()
    with dspy.context(lm=lm), runner.run.activate():
        runner.evaluate(careful(), reviews(20), subset="val")
        calls = lm.calls
        trial = runner.evaluate(dspy.Predict(Review), reviews(20), subset="val", race=True)
    assert lm.calls - calls == 20 and trial.subset == "val" and trial.n == 20


def run_copro(calibrated_search: bool) -> Any:
    proposer = instruction_sensitive([CAREFUL, "Say whether the review is positive.",
                                      "Decide if the customer liked it."])  # fmt: skip
    optimizer = COPRO(metric=right, prompt_model=proposer, breadth=3, depth=1)
    optimizer.calibrated_search = calibrated_search
    with dspy.context(lm=LeaningLM()):
        return optimizer.compile(
            dspy.Predict(Review), trainset=reviews(12), valset=reviews(20, 12), run=RunContext()
        )


def test_copro_picks_the_instruction_that_calibrates_well_only_with_calibrated_search():
    compiled = run_copro(calibrated_search=True)
    assert "carefully" in compiled.signature.instructions
    val = [t for t in compiled.result.trials if t.subset == "val"]
    assert len({round(t.score, 3) for t in val}) > 1  # the candidates no longer tie
    assert compiled.result.best_score == 1.0

    plain = run_copro(calibrated_search=False)
    assert "carefully" not in plain.signature.instructions  # raw: all tie at 50%, first wins


def test_calibrated_search_is_off_by_default_and_needs_calibration():
    optimizer = COPRO(metric=right)
    assert optimizer.calibrated_search is False  # measured: no clear held-out gain
    optimizer.calibrated_search, optimizer.calibrates_choices = True, False
    with dspy.context(lm=LeaningLM()):
        compiled = optimizer.compile(
            careful(), trainset=reviews(12), valset=reviews(20, 12), run=RunContext()
        )
    assert compiled.result.baseline_score == 0.5  # raw: calibration off turns both off
