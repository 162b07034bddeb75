"""Choice calibration on the embedded model: SmolLM2 answers `true` to every review zero-shot,
its scores still rank the reviews, and the offsets fitted on 10 of them fix held-out ones."""

import math

from local_lm_helpers import REAL_LM
from review_data import DescribedReview as Review
from review_data import sample_reviews as reviews

import engine as dspy
from engine.optimizers import BootstrapFewShotWithRandomSearch, RunContext

pytestmark = REAL_LM


def right(example, prediction, trace=None) -> bool:
    return example.positive == prediction.positive


def test_scores_come_with_a_closed_choice_and_an_offset_moves_it():
    predict = dspy.Predict(Review)
    with dspy.context(lm=dspy.LM("local/smollm2-135m")):
        plain = predict(review="Worst movie I have seen this year. Do not bother.")
        scores = plain.choice_scores["positive"]
        assert set(scores) == {"true", "false"}
        assert math.isclose(sum(math.exp(s) for s in scores.values()), 1.0, rel_tol=1e-6)
        assert plain.positive is True  # the lean
        lean = scores["true"] - scores["false"]
        predict.choice_offsets = {"positive": {"true": lean + 0.1}}
        shifted = predict(review="Worst movie I have seen this year. Do not bother.")
        assert shifted.positive is False
        assert shifted.choice_scores == plain.choice_scores  # reported before the shift
        again = predict(review="Worst movie I have seen this year. Do not bother.")  # cached
        assert again.positive is False and again.choice_scores == plain.choice_scores


def test_offsets_fitted_on_ten_reviews_fix_held_out_ones():
    data = reviews()
    train, val, test = data[:4], data[:10], data[24:36]
    optimizer = BootstrapFewShotWithRandomSearch(
        right, max_bootstrapped_demos=0, max_labeled_demos=0, num_candidate_programs=0
    )  # the zero-shot student is the only candidate: what is left to gain is calibration
    lm = dspy.LM("local/smollm2-135m")
    with dspy.context(lm=lm):
        compiled = optimizer.compile(
            dspy.Predict(Review), trainset=train, valset=val, run=RunContext()
        )
        assert compiled.predictors()[0].choice_offsets, compiled.result.events[-3:]
        origins = {c.hash: c.origin for c in compiled.result.candidates}
        assert origins[compiled.result.best_candidate] == "choice calibration"
        assert compiled.result.best_score > compiled.result.baseline_score
        student = dspy.Predict(Review)
        raw = sum(right(e, student(review=e.review)) for e in test)
        calibrated = sum(right(e, compiled(review=e.review)) for e in test)
    assert raw == sum(e.positive for e in test)  # uncalibrated: `true` every time
    assert calibrated > raw


def test_a_small_valset_is_topped_up_with_training_rows_and_the_fit_holds_out():
    """4 validation reviews alone can tell little; 8 unused training reviews join the fit."""
    data = reviews()
    val, train, test = data[:4], data[4:14], data[24:36]
    optimizer = BootstrapFewShotWithRandomSearch(
        right, max_bootstrapped_demos=0, max_labeled_demos=0, num_candidate_programs=0
    )
    with dspy.context(lm=dspy.LM("local/smollm2-135m")):
        compiled = optimizer.compile(
            dspy.Predict(Review), trainset=train, valset=val, run=RunContext()
        )
        (topped_up,) = [t for t in compiled.result.trials if t.subset == "train"]
        assert topped_up.n == 8  # 12 fit rows wanted, 4 validation rows
        assert compiled.predictors()[0].choice_offsets, compiled.result.events[-3:]
        calibrated = sum(right(e, compiled(review=e.review)) for e in test)
    assert calibrated > sum(e.positive for e in test)  # what `true` every time scores


def test_bootstrap_without_a_valset_fits_on_training_rows_and_the_fit_holds_out():
    """BootstrapFewShot as DSPy runs it (no valset): its bootstrapped demos lean to `true` as
    the teacher does; the 12 training reviews it does not show carry the fit."""
    data = reviews()
    train, test = data[4:18], data[24:36]
    optimizer = dspy.BootstrapFewShot(right, max_bootstrapped_demos=2, max_labeled_demos=2)
    with dspy.context(lm=dspy.LM("local/smollm2-135m")):
        compiled = optimizer.compile(dspy.Predict(Review), trainset=train, run=RunContext())
        topped_up = [t for t in compiled.result.trials if t.subset == "train"]
        assert topped_up and topped_up[0].n == 12  # 14 training reviews, 2 shown as demos
        assert compiled.predictors()[0].choice_offsets, compiled.result.events[-3:]
        plain = compiled.deepcopy()
        plain.predictors()[0].choice_offsets = {}
        raw = sum(right(e, plain(review=e.review)) for e in test)
        calibrated = sum(right(e, compiled(review=e.review)) for e in test)
    assert calibrated > raw


def test_training_rows_stop_once_no_fit_could_be_kept():
    """Zero-shot SmolLM2 answers `true`, so on positive reviews alone it is right everywhere:
    after 7 of the 8 training rows the last one could gain 1 row at most, short of 2."""
    positive = [e for e in reviews() if e.positive]
    val, train = positive[:4], positive[4:12]
    optimizer = BootstrapFewShotWithRandomSearch(
        right, max_bootstrapped_demos=0, max_labeled_demos=0, num_candidate_programs=0
    )
    with dspy.context(lm=dspy.LM("local/smollm2-135m")):
        compiled = optimizer.compile(
            dspy.Predict(Review), trainset=train, valset=val, run=RunContext()
        )
    rest = [(t.subset, t.n, t.score) for t in compiled.result.trials if t.subset != "val"]
    assert rest == [("minibatch", 7, 1.0)]
    assert compiled.predictors()[0].choice_offsets == {}
    assert compiled.result.usage["calls"] == 4 + 7
