"""Every metric signature DSPy accepts works, and a metric that raises says so (issue 39 item 1:
`def m(example, pred, **kwargs)` used to score 0, silently)."""

from __future__ import annotations

import logging

import pytest

import engine as dspy
from engine.evaluate.scoring import accepts_predictor_feedback, call_metric
from engine.lm.scripted import ScriptedLM


def kwargs_only(example, pred, **kwargs):
    return example.answer == pred.answer and "trace" in kwargs


def keyword_trace(example, pred, *, trace=None):
    return example.answer == pred.answer and trace is None


def three(example, pred, trace=None):
    return example.answer == pred.answer


def two(example, pred):
    return example.answer == pred.answer


def five(gold, pred, trace, pred_name, pred_trace):
    return gold.answer == pred.answer and pred_name is None


def star_args(*args):
    return args[0].answer == args[1].answer and len(args) == 5


class CallableMetric:
    def __call__(self, example, pred, trace=None, **kwargs):
        # Evaluate sets no pred_name: **kwargs does not get it (as DSPy's Evaluate, which
        # passes (example, pred) only), so a metric may forward **kwargs to a narrower one
        return example.answer == pred.answer and "pred_name" not in kwargs


@pytest.mark.parametrize(
    "metric", [kwargs_only, keyword_trace, three, two, five, star_args, CallableMetric()]
)
def test_every_dspy_metric_shape_scores_through_evaluate(metric) -> None:
    dspy.configure(lm=ScriptedLM([{"answer": "4"}], cycle=True))
    devset = [dspy.Example(question="2+2?", answer="4").with_inputs("question")] * 3
    evaluate = dspy.Evaluate(devset=devset, metric=metric, num_threads=1)
    result = evaluate(dspy.Predict("question -> answer"))
    assert result.score == 100.0 and result.errors == 0


def test_feedback_capable_shapes_are_told_apart() -> None:
    assert accepts_predictor_feedback(kwargs_only) and accepts_predictor_feedback(five)
    assert not accepts_predictor_feedback(three) and not accepts_predictor_feedback(two)
    example, pred = dspy.Example(answer="a"), dspy.Prediction(answer="a")
    assert call_metric(keyword_trace, example, pred, trace=None) is True


def test_a_metric_that_raises_is_reported_not_silent(caplog) -> None:
    def broken(example, pred, trace=None):
        raise KeyError("expected_answer")

    dspy.configure(lm=ScriptedLM([{"answer": "4"}], cycle=True))
    devset = [dspy.Example(question="2+2?", answer="4").with_inputs("question")] * 2
    with caplog.at_level(logging.WARNING, logger="engine.evaluate.evaluate"):
        result = dspy.Evaluate(devset=devset, metric=broken, num_threads=1)(
            dspy.Predict("question -> answer")
        )
    assert result.score == 0.0 and result.errors == 2
    assert "the metric raised on 2 of 2 examples" in caplog.text
    assert "expected_answer" in caplog.text


def test_a_fourth_parameter_of_its_own_keeps_its_default() -> None:
    """`answer_exact_match(example, pred, trace=None, frac=1.0)`: `frac` is not pred_name."""
    example, pred = dspy.Example(answer="Paris"), dspy.Prediction(answer="paris")
    assert call_metric(dspy.evaluate.answer_exact_match, example, pred, None, "p", []) is True
