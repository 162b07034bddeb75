"""Content-free calibration: with no labelled rows to fit on, a closed choice's lean is read
from one call on the input "N/A" and subtracted."""

from typing import Any

import pytest
from review_data import BiasedLM, Review, reviews

import engine as dspy
from engine.lm.budget import Budget
from engine.lm.lm import LM
from engine.lm.scripted import ScriptedLM
from engine.optimizers import RunContext
from engine.optimizers.calibration._content_free import ORIGIN, content_free_offsets


def answers(program: Any, lm: LM, examples: list[dspy.Example]) -> list[bool]:
    with dspy.context(lm=lm):
        return [program(review=e.review).positive for e in examples]


def test_labeled_fewshot_without_a_metric_takes_the_lean_off_with_one_call():
    lm = BiasedLM()
    with dspy.context(lm=lm):
        compiled = dspy.LabeledFewShot(k=2).compile(
            dspy.Predict(Review), trainset=reviews(6), run=RunContext()
        )
    assert lm.reviews == ["N/A"]
    offsets = compiled.predictors()[0].choice_offsets["positive"]
    assert offsets == {"true": pytest.approx(2.0)}  # true's score over false's, on "N/A"
    result = compiled.result
    assert result.usage["calls"] == 1 and result.estimate.calls == {"task": 1}
    assert "'N/A'" in result.estimate.notes
    (calibrated,) = [c for c in result.candidates if c.origin == ORIGIN]
    assert result.best_candidate == calibrated.hash
    assert any(e.type == "log" and "offsets for 'positive'" in e.data.get("message", "")
               for e in result.events)  # fmt: skip
    held_out = reviews(6, 20)
    assert answers(compiled, lm, held_out) == [e.positive for e in held_out]
    plain = dspy.LabeledFewShot(k=2)
    plain.calibrates_choices = False
    with dspy.context(lm=lm):
        uncalibrated = plain.compile(dspy.Predict(Review), trainset=reviews(6))
    assert answers(uncalibrated, lm, held_out) == [True] * 6  # the lean
    assert "choice_offsets" in compiled.predictors()[0].dump_state()


def test_with_a_metric_and_a_valset_labeled_fewshot_fits_on_labels_instead():
    lm = BiasedLM()
    with dspy.context(lm=lm):
        compiled = dspy.LabeledFewShot(
            k=2, metric=lambda e, p, trace=None: e.positive == p.positive
        ).compile(dspy.Predict(Review), trainset=reviews(6), valset=reviews(12, 30))
    assert "N/A" not in lm.reviews
    assert any(c.origin == "choice calibration" for c in compiled.result.candidates)
    assert not any(c.origin == ORIGIN for c in compiled.result.candidates)


def test_without_choice_scores_no_call_is_made_and_nothing_changes():
    lm = ScriptedLM(by_input=lambda messages: {"positive": "true"})
    with dspy.context(lm=lm):
        compiled = dspy.LabeledFewShot(k=2).compile(dspy.Predict(Review), trainset=reviews(6))
        members = dspy.Ensemble(reduce_fn=dspy.majority).compile([dspy.Predict(Review)] * 2)
    assert compiled.result.usage["calls"] == 0 and compiled.result.estimate.calls == {"task": 0}
    assert compiled.predictors()[0].choice_offsets == {}
    assert all(p.predictors()[0].choice_offsets == {} for p in members.programs)


def test_a_failed_call_or_a_spent_budget_leaves_the_program_as_it_is():
    with dspy.context(lm=BiasedLM(fail_on_na=True)):
        assert content_free_offsets(dspy.Predict(Review)) is None
        failed = dspy.LabeledFewShot(k=2).compile(dspy.Predict(Review), trainset=reviews(6))
    assert failed.predictors()[0].choice_offsets == {} and failed.predictors()[0].demos
    assert failed.result.status == "finished"
    assert any("no offsets" in e.data.get("message", "") for e in failed.result.events)
    lm = BiasedLM()
    with dspy.context(lm=lm):
        spent = dspy.LabeledFewShot(k=2).compile(
            dspy.Predict(Review), trainset=reviews(6), run=RunContext(budget=Budget(max_calls=0))
        )
    assert lm.reviews == [] and spent.predictors()[0].choice_offsets == {}
    assert spent.predictors()[0].demos and spent.result.status == "finished"
    assert any("skipped" in e.data.get("message", "") for e in spent.result.events)


def test_ensemble_members_get_their_offsets_unless_they_have_some_or_it_is_off():
    lm = BiasedLM()
    fitted = dspy.Predict(Review)
    fitted.choice_offsets = {"positive": {"true": 0.5}}
    with dspy.context(lm=lm):
        ensemble = dspy.Ensemble(reduce_fn=dspy.majority).compile(
            [dspy.Predict(Review), fitted, dspy.Predict(Review)]
        )
        off = dspy.Ensemble(reduce_fn=dspy.majority, calibrate_choices=False).compile(
            [dspy.Predict(Review)]
        )
    assert lm.reviews == ["N/A", "N/A"]  # the fitted member is not called
    first, kept, third = (p.predictors()[0].choice_offsets for p in ensemble.programs)
    assert first == third == {"positive": {"true": pytest.approx(2.0)}}
    assert kept == {"positive": {"true": 0.5}}
    assert off.programs[0].predictors()[0].choice_offsets == {}
    held_out = reviews(4, 40)
    assert answers(ensemble, lm, held_out) == [e.positive for e in held_out]
