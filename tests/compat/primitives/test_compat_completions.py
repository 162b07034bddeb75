"""`Prediction.completions` is DSPy's `Completions`: by field, by index, len(), items()."""

from __future__ import annotations

import dspy as real_dspy
import pytest

import engine as dspy
from engine.lm import ScriptedLM

ROWS = [{"answer": "1", "why": "a"}, {"answer": "2", "why": "b"}, {"answer": "3", "why": "c"}]


@pytest.mark.parametrize("lib", [dspy, real_dspy], ids=["engine", "dspy"])
def test_completions_by_field_index_len_items(lib):
    pred = lib.Prediction.from_completions(ROWS)
    completions = pred.completions
    assert isinstance(completions, lib.Completions)
    assert completions.answer == ["1", "2", "3"]
    assert completions["why"] == ["a", "b", "c"]
    assert len(completions) == 3
    assert isinstance(completions[1], lib.Prediction)
    assert completions[1].answer == "2"
    assert dict(completions.items()) == {"answer": ["1", "2", "3"], "why": ["a", "b", "c"]}
    assert [c.answer for c in completions] == ["1", "2", "3"]
    assert "answer" in completions and "other" not in completions
    assert pred.answer == "1"  # the prediction holds the first completion


@pytest.mark.parametrize("lib", [dspy, real_dspy], ids=["engine", "dspy"])
def test_completions_from_field_lists_and_errors(lib):
    pred = lib.Prediction.from_completions({"answer": ["x", "y"]})
    assert pred.answer == "x"
    assert pred.completions.answer == ["x", "y"]
    with pytest.raises(IndexError):
        pred.completions[2]
    with pytest.raises(AttributeError):
        pred.completions.missing
    with pytest.raises((AssertionError, ValueError)):
        lib.Completions({"a": ["1"], "b": ["1", "2"]})


def test_repr_names_omitted_completions_like_dspy():
    ours = repr(dspy.Prediction.from_completions(ROWS))
    theirs = repr(real_dspy.Prediction.from_completions(ROWS))
    assert ours == theirs


def test_predict_with_n_returns_completions_per_field():
    lm = ScriptedLM(answers=[{"answer": "4"}, {"answer": "5"}])
    pred = dspy.Predict("question -> answer", n=2)(question="2+2?", lm=lm)
    assert pred.completions.answer == ["4", "5"]
    assert len(pred.completions) == 2


def test_majority_takes_completions():
    pred = dspy.Prediction.from_completions([{"y": "k"}, {"y": "j"}, {"y": "k"}])
    assert dspy.majority(pred.completions).y == "k"
    assert (
        real_dspy.majority(
            real_dspy.Prediction.from_completions([{"y": "k"}, {"y": "j"}, {"y": "k"}]).completions
        ).y
        == "k"
    )


def test_hand_built_prediction_holds_itself():
    """Stated difference: DSPy gives None for a Prediction built by hand."""
    pred = dspy.Prediction(answer="x")
    assert pred.completions.answer == ["x"]
    assert real_dspy.Prediction(answer="x").completions is None


@pytest.mark.parametrize("lib", [dspy, real_dspy], ids=["engine", "dspy"])
def test_prediction_with_a_score_acts_as_a_number(lib):
    high, low = lib.Prediction(score=0.75, feedback="good"), lib.Prediction(score=0.25)
    assert float(high) == 0.75
    assert high + 1 == 1.75 and 1 + high == 1.75 and high + low == 1.0
    assert high / 3 == 0.25 and 3 / high == 4.0
    assert low < high and high >= low and high > 0.5 and low <= 0.25
    assert sum([high, low]) == 1.0
    with pytest.raises(ValueError, match="score"):
        float(lib.Prediction(answer="x"))
    with pytest.raises(TypeError):
        high + "x"
