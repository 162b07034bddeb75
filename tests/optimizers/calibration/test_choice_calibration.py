"""Choice calibration: offsets fitted to a biased closed choice from the run's own rows."""

from typing import Any

import pytest
from review_data import HEADER, BiasedLM, Review, reviews

import engine as dspy
from engine.adapters.replies.choice_offsets import bias_kwargs, field_scores, read_offsets
from engine.lm.cache import CacheEntry
from engine.lm.lm import LM
from engine.lm.scripted import ScriptedLM
from engine.optimizers import BootstrapFewShotWithRandomSearch, RunContext
from engine.optimizers.calibration._choices import ScoredRow, fit_offsets


def right(example: Any, prediction: Any, trace: Any = None) -> bool:
    return example.positive == prediction.positive


def compile_with(lm: LM) -> Any:
    with dspy.context(lm=lm):
        return BootstrapFewShotWithRandomSearch(
            right, num_candidate_programs=1, max_bootstrapped_demos=1, max_labeled_demos=1
        ).compile(
            dspy.Predict(Review), trainset=reviews(6), valset=reviews(8, 10), run=RunContext()
        )


def test_a_biased_choice_is_calibrated_on_the_valset_and_the_offsets_travel():
    lm = BiasedLM()
    compiled = compile_with(lm)
    offsets = compiled.predictors()[0].choice_offsets
    assert set(offsets) == {"positive"}
    # true's log-odds are 1.2 (bad) or 2.8 (good): any offset in between separates them
    assert 1.2 < offsets["positive"]["true"] - offsets["positive"].get("false", 0.0) < 2.8
    result = compiled.result
    assert result.best_score == 1.0
    assert any(c.origin == "choice calibration" for c in result.candidates)
    assert any(e.type == "phase" and e.data["name"] == "choice calibration" for e in result.events)
    with dspy.context(lm=lm):
        assert [compiled(review=e.review).positive for e in reviews(4, 40)] == [
            False, True, False, True,
        ]  # fmt: skip
    assert lm.biases[-1] == {k: v for k, v in offsets["positive"].items()}

    state = compiled.dump_state()
    again = dspy.Predict(Review)
    again.load_state(state)
    assert again.choice_offsets == offsets


def test_without_choice_scores_nothing_is_fitted_and_no_call_is_made():
    def always_true(messages):
        return {"positive": "true"}

    lm = ScriptedLM(by_input=always_true)
    compiled = compile_with(lm)
    assert compiled.predictors()[0].choice_offsets == {}
    assert not any(c.origin == "choice calibration" for c in compiled.result.candidates)
    assert not any(t.subset == "train" for t in compiled.result.trials)  # no top-up call
    assert "choice_offsets" not in compiled.predictors()[0].dump_state()


def _opted_out(valset: list[dspy.Example]) -> Any:
    optimizer = BootstrapFewShotWithRandomSearch(
        right, num_candidate_programs=1, max_bootstrapped_demos=1, max_labeled_demos=1
    )
    optimizer.calibrates_choices = False
    with dspy.context(lm=BiasedLM()):
        return optimizer.compile(
            dspy.Predict(Review), trainset=reviews(6), valset=valset, run=RunContext()
        )


def test_an_optimizer_can_opt_out_and_a_valset_of_12_rows_costs_no_lm_call():
    valset = reviews(12, 10)
    compiled = _opted_out(valset)
    assert compiled.predictors()[0].choice_offsets == {}
    with dspy.context(lm=BiasedLM()):
        calibrated = BootstrapFewShotWithRandomSearch(
            right, num_candidate_programs=1, max_bootstrapped_demos=1, max_labeled_demos=1
        ).compile(dspy.Predict(Review), trainset=reviews(6), valset=valset, run=RunContext())
    assert calibrated.predictors()[0].choice_offsets
    assert calibrated.result.usage["calls"] == compiled.result.usage["calls"]
    assert not any(t.subset == "train" for t in calibrated.result.trials)


def test_a_small_valset_is_topped_up_with_training_rows_the_program_does_not_show():
    compiled, calibrated = _opted_out(reviews(8, 10)), compile_with(BiasedLM())
    (train,) = [t for t in calibrated.result.trials if t.subset == "train"]
    assert train.n == 4  # 12 fit rows wanted, 8 validation rows: 4 of the 6 training rows
    assert calibrated.result.usage["calls"] - compiled.result.usage["calls"] == 4
    assert calibrated.result.estimate.calls == compiled.result.estimate.calls
    assert "up to 4 more calls on training rows" in calibrated.result.estimate.notes
    shown = {d["review"] for d in calibrated.predictors()[0].demos}
    assert not shown & {row["inputs"]["review"] for row in train.rows}
    assert not {e.review for e in reviews(8, 10)} & {row["inputs"]["review"] for row in train.rows}


def test_a_valset_answered_right_leaves_the_top_up_two_misses_to_find():
    calibrated = compile_with(BiasedLM(lean=0.0))  # every validation row right: nothing to gain
    partial = [t for t in calibrated.result.trials if t.subset == "minibatch"]
    assert [t.n for t in partial] == [3]  # 3 of 4 rows right: the last one cannot gain 2
    assert not any(t.subset == "train" for t in calibrated.result.trials)
    assert calibrated.predictors()[0].choice_offsets == {}


def test_training_rows_can_carry_a_fit_the_valset_alone_cannot_and_a_tie_on_it_is_the_best():
    """Two positive validation rows: `true` scores 2 of 2 with or without offsets (a tie), the
    training rows hold the gain; the calibrated copy is returned and is the run's best."""
    valset = [e for e in reviews(8, 10) if e.positive][:2]
    with dspy.context(lm=BiasedLM()):
        calibrated = BootstrapFewShotWithRandomSearch(
            right, num_candidate_programs=1, max_bootstrapped_demos=1, max_labeled_demos=1
        ).compile(dspy.Predict(Review), trainset=reviews(6), valset=valset, run=RunContext())
    assert calibrated.predictors()[0].choice_offsets
    result = calibrated.result
    (adopted,) = [c for c in result.candidates if c.origin == "choice calibration"]
    assert result.best_candidate == adopted.hash and result.best_score == 1.0
    assert any(e.type == "log" and "training rows" in e.data.get("message", "")
               for e in result.events)  # fmt: skip


def _bootstrapped(lm: LM, fits: bool = True) -> Any:
    """BootstrapFewShot as DSPy runs it: no valset."""
    optimizer = dspy.BootstrapFewShot(right, max_bootstrapped_demos=1, max_labeled_demos=1)
    optimizer.fits_on_training_rows = optimizer.content_free_prior = fits
    with dspy.context(lm=lm):
        return optimizer.compile(dspy.Predict(Review), trainset=reviews(8), run=RunContext())


def test_without_a_valset_bootstrap_fits_on_the_training_rows_it_does_not_show():
    lm = BiasedLM()
    compiled, plain = _bootstrapped(lm), _bootstrapped(BiasedLM(), fits=False)
    result = compiled.result
    shown = {d["review"] for d in compiled.predictors()[0].demos}
    (train, adopted) = [t for t in result.trials if t.subset == "train"]
    assert train.n == 7 and not shown & {row["inputs"]["review"] for row in train.rows}
    assert result.usage["calls"] - plain.result.usage["calls"] == 7  # one call per row
    # 3 of the 7 are positive; the calibrated copy's rows are derived, at no call
    assert train.score == pytest.approx(3 / 7) and adopted.score == 1.0
    assert "up to 8 more calls on training rows" in result.estimate.notes
    assert plain.predictors()[0].choice_offsets == {}
    assert not any(t.subset == "train" for t in plain.result.trials)
    offsets = compiled.predictors()[0].choice_offsets["positive"]
    assert 1.2 < offsets["true"] - offsets.get("false", 0.0) < 2.8
    assert any(e.type == "log" and "0.429 -> 1.000 on 7 training rows" in e.data["message"]
               for e in result.events)  # fmt: skip
    with dspy.context(lm=lm):
        assert [compiled(review=e.review).positive for e in reviews(4, 40)] == [
            False, True, False, True,
        ]  # fmt: skip


def test_training_rows_stop_once_no_fit_could_gain_enough():
    """Unbiased, the program answers every row right: after 6 of the 7 rows the last one could
    gain 1 at most, and a fit must gain 2, so it is not read; no offsets, as reading it gives."""
    compiled = _bootstrapped(BiasedLM(lean=0.0))
    plain = _bootstrapped(BiasedLM(lean=0.0), fits=False)
    result = compiled.result
    (partial,) = [t for t in result.trials if t.subset == "minibatch"]
    assert partial.n == 6 and partial.score == 1.0
    assert not any(t.subset == "train" for t in result.trials)
    assert result.usage["calls"] - plain.result.usage["calls"] == 6
    assert compiled.predictors()[0].choice_offsets == {}
    assert any(e.type == "log" and "stopped after 6 of 7 training rows" in e.data["message"]
               for e in result.events)  # fmt: skip


def test_without_a_valset_or_choice_scores_bootstrap_does_only_dspys_work():
    def always_true(messages):
        return {"positive": "true"}

    compiled = _bootstrapped(ScriptedLM(by_input=always_true))
    assert not any(t.subset == "train" for t in compiled.result.trials)  # no call made
    assert compiled.predictors()[0].choice_offsets == {}
    assert "training rows" not in compiled.result.estimate.notes


class ReviewThenNote(dspy.Signature):
    """Tell whether a product review is positive, then note why."""

    review: str = dspy.InputField()
    positive: bool = dspy.OutputField()
    note: str = dspy.OutputField()


def test_a_choice_written_before_another_output_is_not_calibrated():
    """Changing it would change what the model writes after it, which no row can tell."""
    lm = BiasedLM()
    with dspy.context(lm=lm):
        compiled = BootstrapFewShotWithRandomSearch(right, num_candidate_programs=1).compile(
            dspy.Predict(ReviewThenNote), trainset=reviews(6), valset=reviews(8, 10),
            run=RunContext(),
        )  # fmt: skip
    assert compiled.predictors()[0].choice_offsets == {}


def rows(pairs: list[tuple[float, bool]]) -> list[ScoredRow]:
    """(log-odds of true, gold) -> rows scored by exact match."""
    out = []
    for odds, gold in pairs:
        scores = {"true": 0.0, "false": -odds}
        out.append(ScoredRow({"true": float(gold), "false": float(not gold)}, scores))
    return out


def test_fit_takes_the_best_offset_nearest_the_mean_score_and_reports_the_gain():
    data = rows([(1.0, False), (1.25, False), (2.0, True), (2.5, True)])
    offsets, gain = fit_offsets(data)
    assert gain == 2.0
    # offsets of "true" in (1.25, 2.0) separate them; the mean log-odds is 1.6875
    assert offsets == {"true": 1.7}


def test_when_the_mean_is_outside_the_best_offsets_the_nearest_best_one_is_taken():
    data = rows([(0.1, False), (0.2, False), (0.45, True), (4.0, True)])  # mean 1.19
    offsets, _ = fit_offsets(data)
    assert offsets == {"true": 0.4}  # the best are 0.3 and 0.4 (at 0.2 a tie picks true)


def test_fit_keeps_no_offsets_when_nothing_is_gained():
    offsets, gain = fit_offsets(rows([(1.0, True), (-1.0, False)]))
    assert (offsets, gain) == ({}, 0.0)


def test_fit_counts_its_gain_from_the_current_offsets():
    data = rows([(1.0, False), (2.0, True)])
    assert fit_offsets(data, {"true": 1.5}) == ({}, 0.0)


def test_offsets_go_on_the_wire_by_header_and_scores_come_back_by_field():
    assert bias_kwargs(Review, {"positive": {"true": 1.5}, "gone": {"x": 1.0}}) == {
        "reply_bias": {HEADER: {"true": 1.5}}
    }
    assert bias_kwargs(Review, {}) == {}
    raw = {HEADER: {"true": -0.2, "false": -1.7}, "something else": {"a": 0.0}}
    assert field_scores(Review, raw) == {"positive": {"true": -0.2, "false": -1.7}}


def test_stored_offsets_are_checked():
    assert read_offsets(None) == {}
    assert read_offsets({"positive": {"true": "1.5"}}) == {"positive": {"true": 1.5}}
    with pytest.raises(ValueError, match="map fields"):
        read_offsets({"positive": 1.5})
    with pytest.raises(ValueError, match="numbers"):
        read_offsets({"positive": {"true": "high"}})


def test_choice_scores_survive_the_cache_entry():
    entry = CacheEntry(("x",), 1, 2, 0.0, ({HEADER: {"true": -0.1}},))
    assert CacheEntry.from_json(entry.to_json()) == entry
    assert "choice_scores" not in CacheEntry(("x",)).to_json()
