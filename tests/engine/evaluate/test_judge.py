"""LLM-judged metrics with a scripted LM: Judge (parsing, role, cache, budget) and SemanticF1."""

from __future__ import annotations

import importlib

import pytest

import engine as dspy
from engine.core._errors import BudgetExhausted, SpecError
from engine.evaluate import Evaluate, ScoreWithFeedback
from engine.evaluate.judge_parse import parse_scale, read_fraction, read_score_and_word
from engine.evaluate.metrics import make_metric
from engine.lm import ScriptedLM, UsageLedger
from engine.lm.budget import Budget

GOLD = dspy.Example(ticket="Where is my parcel?", team="shipping").with_inputs("ticket")
PRED = dspy.Prediction(team="billing")


def judge_with(reply, **kwargs):
    lm = ScriptedLM(answers=[reply], cycle=True, name="judge")
    return dspy.metrics.Judge(criteria="Routes to the right team.", lm=lm, **kwargs), lm


@pytest.mark.parametrize(
    "reply, scale, score, label",
    [
        ("Score: 4\nReason: close, but misses the team.", (1, 5), 0.75, "4/5"),
        ("I would give it 5/5 because it is right", "1-5", 1.0, "5/5"),
        ("On a scale of 1 to 5, this is a 2. Reason: wrong team", (1, 5), 0.25, "2/5"),
        ("rating = 7 out of 10", "0-10", 0.7, "7/10"),
        ("Score: 3.5", "1 to 5", 0.625, "3.5/5"),
        ("Verdict: pass\nReason: it names the shipping team.", "pass/fail", 1.0, "pass"),
        ("FAIL - wrong team", "pass/fail", 0.0, "fail"),
        ("This is not correct.", "pass/fail", 0.0, "fail"),
        ("Score: 1", "pass/fail", 1.0, "pass"),
        ("The answer is correct.", (1, 5), 1.0, "5/5 (read from 'correct')"),
        ("This is not good at all", (1, 5), 0.0, "1/5 (read from 'not good')"),
        ("[[ ## score ## ]]\n1\n[[ ## reason ## ]]\nwrong team", (1, 5), 0.0, "1/5"),
    ],
)
def test_judge_reads_scores_tolerantly(reply, scale, score, label):
    judge, _ = judge_with(reply, scale=scale)
    result = judge(GOLD, PRED)
    assert isinstance(result, ScoreWithFeedback)
    assert result == pytest.approx(score)
    assert result.feedback.startswith(label + ": ")


def test_judge_feedback_is_the_rationale():
    judge, _ = judge_with("Score: 2\nReason: it sends a parcel question to billing.")
    result = judge(GOLD, PRED)
    assert result.feedback == "2/5: it sends a parcel question to billing."


@pytest.mark.parametrize("reply", ["", "lorem ipsum dolor", "Score: <a number from 1 to 5>"])
def test_unreadable_reply_scores_zero_with_a_clear_feedback(reply):
    judge, _ = judge_with(reply)
    result = judge(GOLD, PRED)
    assert result == 0.0
    assert "could not be read" in result.feedback
    if reply.strip():
        assert reply[:10] in result.feedback


def test_unreadable_reply_is_quoted_shortened():
    judge, _ = judge_with("blah " * 200)
    feedback = judge(GOLD, PRED).feedback
    assert len(feedback) < 200 and "…" in feedback


def test_prompt_shows_criteria_inputs_expected_and_response():
    judge, lm = judge_with("Score: 5")
    judge(GOLD, PRED)
    messages = lm.history[-1]["messages"]
    user = messages[-1]["content"]
    assert "Criteria: Routes to the right team." in user
    assert "ticket: Where is my parcel?" in user
    assert "Expected answer:\nteam: shipping" in user
    assert "Response to grade:\nteam: billing" in user
    assert "Score: <a number from 1 to 5>" in user
    assert lm.history[-1]["kwargs"]["temperature"] == 0.0 and lm.history[-1]["role"] == "judge"


def test_without_labels_the_judge_grades_the_response_alone():
    judge, lm = judge_with("Score: 5")
    judge(dspy.Example(ticket="hi").with_inputs("ticket"), dspy.Prediction(reply="Hello!"))
    user = lm.history[-1]["messages"][-1]["content"]
    assert "Expected answer" not in user and "reply: Hello!" in user


def test_judge_calls_are_counted_under_role_judge():
    judge_lm = ScriptedLM(answers=["Score: 5"], cycle=True, name="judge")
    task_lm = ScriptedLM(by_input=lambda m: {"team": "shipping"}, name="task")
    dspy.configure(lm=task_lm)
    ledger = UsageLedger()
    judge = dspy.metrics.Judge(criteria="Right team.", lm=judge_lm)
    with dspy.context(usage_trackers=(ledger,)):
        result = Evaluate(devset=[GOLD] * 3, metric=judge, num_threads=1)(
            dspy.Predict("ticket -> team")
        )
    roles = ledger.by_role()
    assert roles["judge"].calls == 3 and roles["task"].calls == 3
    assert result.score == 100.0 and result.rows[0].feedback == "5/5: the judge gave no reason"


def test_lm_none_uses_the_judge_lm_setting_else_the_task_lm():
    task = ScriptedLM(answers=["Score: 1"], cycle=True, name="task")
    judge_lm = ScriptedLM(answers=["Score: 5"], cycle=True, name="judge")
    judge = dspy.metrics.Judge(criteria="Right team.")
    dspy.configure(lm=task)
    assert judge(GOLD, PRED) == 0.0
    with dspy.context(judge_lm=judge_lm):
        assert judge(GOLD, PRED) == 1.0
    assert task.calls_made == 1 and judge_lm.calls_made == 1


def test_a_repeated_judgement_is_a_cache_hit():
    lm = ScriptedLM(answers=["Score: 4"], cycle=True, cache=True, name="cached-judge")
    judge = dspy.metrics.Judge(criteria="Right team.", lm=lm)
    ledger = UsageLedger()
    with dspy.context(usage_trackers=(ledger,)):
        first, second = judge(GOLD, PRED), judge(GOLD, PRED)
    assert first == second == 0.75 and first.feedback == second.feedback
    assert lm.calls_made == 1
    assert [r.cache_hit for r in ledger.records] == [False, True]
    assert {r.role for r in ledger.records} == {"judge"}


def test_the_budget_stops_judge_calls():
    judge, lm = judge_with("Score: 5")
    budget = Budget(per_role={"judge": {"max_calls": 2}})
    with dspy.context(budget=budget):
        judge(GOLD, PRED)
        judge(GOLD, PRED)
        with pytest.raises(BudgetExhausted, match="judge"):
            judge(GOLD, PRED)
    assert lm.calls_made == 2


def test_budget_exhaustion_inside_a_metric_stops_evaluate():
    dspy.configure(lm=ScriptedLM(by_input=lambda m: {"team": "shipping"}, name="task"))
    judge, lm = judge_with("Score: 5")
    with dspy.context(budget=Budget(per_role={"judge": {"max_calls": 1}})):
        result = Evaluate(devset=[GOLD] * 3, metric=judge, num_threads=1)(
            dspy.Predict("ticket -> team")
        )
    assert result.stopped == "budget" and lm.calls_made == 1
    assert result.rows[0].score == 1.0
    assert result.rows[1].error == "budget exhausted"  # not "metric failed"


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"criteria": ""}, "criteria"),
        ({"criteria": "   "}, "criteria"),
        ({"criteria": "ok", "scale": "great"}, "scale 'great' is not understood"),
        ({"criteria": "ok", "scale": (5, 1)}, "must be above"),
    ],
)
def test_bad_judge_settings_are_explained(bad, message):
    with pytest.raises(ValueError, match=message):
        dspy.metrics.Judge(**bad)


def test_make_metric_builds_llm_metrics_with_clear_errors():
    assert repr(make_metric("judge", criteria="polite", scale="pass/fail")) == (
        "Judge(criteria='polite', scale='pass/fail')"
    )
    with pytest.raises(SpecError, match="metric 'judge' needs criteria"):
        make_metric("judge")
    with pytest.raises(SpecError, match="scale"):
        make_metric("judge", criteria="polite", scale="huge")
    assert make_metric("semantic_f1", decompositional=True).lm_calls_per_score == 2


def test_scale_and_fraction_readers():
    assert parse_scale([0, 10]).normalise(5) == 0.5
    assert parse_scale("pass/fail").binary
    reading = read_score_and_word("7 out of 10, but 3 is also mentioned", parse_scale("0-10"))
    assert reading == (7, "")
    assert read_score_and_word("lorem ipsum dolor", parse_scale((1, 5))) is None
    assert read_fraction("Recall: 80%", "recall") == 0.8
    assert read_fraction("precision = 0.5", "precision") == 0.5
    assert read_fraction("Recall: 3.5", "recall") == 0.035
    assert read_fraction("nothing", "recall") is None


# -- SemanticF1 ---------------------------------------------------------------------------------
QA = dspy.Example(
    question="What do cats eat?", response="Cats eat meat and drink water."
).with_inputs("question")
ANSWER = dspy.Prediction(response="Cats eat meat.")


def test_semantic_f1_scores_recall_and_precision():
    lm = ScriptedLM(answers=["Recall: 0.5\nPrecision: 1.0\nReason: water is missing."])
    result = dspy.evaluate.SemanticF1(lm=lm)(QA, ANSWER)
    assert result == pytest.approx(2 / 3)
    assert result.feedback == ("semantic F1 0.67 (recall 0.50, precision 1.00): water is missing.")
    user = lm.history[-1]["messages"][-1]["content"]
    assert "question: What do cats eat?" in user
    assert "Ground truth:\nCats eat meat and drink water." in user
    assert "Response:\nCats eat meat." in user


def test_semantic_f1_with_a_trace_passes_at_the_threshold():
    lm = ScriptedLM(answers=["Recall: 0.5 Precision: 1"], cycle=True)
    assert dspy.metrics.SemanticF1(lm=lm)(QA, ANSWER, trace=[]) == 1.0
    assert dspy.metrics.SemanticF1(threshold=0.9, lm=lm)(QA, ANSWER, trace=[]) == 0.0


def test_semantic_f1_decompositional_lists_key_ideas_first():
    lm = ScriptedLM(
        answers=[
            "Ground truth key ideas:\n- cats eat meat\n- cats drink water\n"
            "Response key ideas:\n- cats eat meat",
            "Recall: 50%\nPrecision: 100%",
        ]
    )
    ledger = UsageLedger()
    with dspy.context(usage_trackers=(ledger,)):
        result = dspy.evaluate.SemanticF1(decompositional=True, lm=lm)(QA, ANSWER)
    assert result == pytest.approx(2 / 3)
    assert result.feedback == "semantic F1 0.67 (recall 0.50, precision 1.00)"
    assert [r.role for r in ledger.records] == ["judge", "judge"]
    second = lm.history[-1]["messages"][-1]["content"]
    assert "Key ideas, as listed earlier:" in second and "cats drink water" in second


def test_semantic_f1_unreadable_reply_scores_zero():
    lm = ScriptedLM(answers=["Recall: high"])
    result = dspy.metrics.SemanticF1(lm=lm)(QA, ANSWER)
    assert result == 0.0 and "could not be read" in result.feedback


def test_dspy_import_paths():
    from engine.evaluate import SemanticF1

    aliased = importlib.import_module("engine.metrics")  # `from engine.metrics import Judge`
    assert dspy.evaluate.SemanticF1 is SemanticF1 is dspy.metrics.SemanticF1
    assert aliased.Judge is dspy.metrics.Judge


class StartingLM(ScriptedLM):
    """Takes a reply start, like the embedded model: replies begin with it."""

    @property
    def supports_stop(self) -> bool:
        return True


def test_models_that_take_a_reply_start_must_begin_with_the_score():
    lm = StartingLM(answers=["Score:\n2\nThe team is wrong."], name="starting")
    result = dspy.metrics.Judge(criteria="Right team.", lm=lm)(GOLD, PRED)
    assert lm.history[-1]["kwargs"]["reply_start"] == "Score:"
    assert result == 0.25 and result.feedback == "2/5: The team is wrong."
    binary = StartingLM(answers=["Verdict: fail, wrong team"], name="starting-binary")
    result = dspy.metrics.Judge(criteria="Right team.", scale="pass/fail", lm=binary)(GOLD, PRED)
    assert binary.history[-1]["kwargs"]["reply_start"] == "Verdict:"
    assert result == 0.0 and result.feedback == "fail: wrong team"
    plain, plain_lm = judge_with("Score: 5")
    plain(GOLD, PRED)
    assert "reply_start" not in plain_lm.history[-1]["kwargs"]
