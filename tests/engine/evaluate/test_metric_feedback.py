"""Built-in metrics explain their scores; `call_metric` passes what a metric accepts."""

from __future__ import annotations

import pytest

import engine as dspy
from engine.evaluate import Evaluate, ScoreWithFeedback
from engine.evaluate.metrics import (
    Contains,
    ExactMatch,
    NormalizedExactMatch,
    NumericTolerance,
    RegexMatch,
    TokenF1,
)
from engine.evaluate.scoring import call_metric, score_of
from engine.lm import ScriptedLM


def ex(**labels):
    return dspy.Example(text="x", **labels).with_inputs("text")


@pytest.mark.parametrize(
    "metric, predicted, expected, score, feedback",
    [
        (ExactMatch(), "order_status", "refund_request", 0.0,
         "expected 'refund_request', got 'order_status'"),
        (ExactMatch(), "refund_request ", "refund_request", 1.0, "exact match: 'refund_request'"),
        (NormalizedExactMatch(), "The Billing!", "billing", 1.0,
         "matches 'billing' (ignoring case and punctuation)"),
        (NormalizedExactMatch(), "Shipping", "billing", 0.0,
         "expected 'billing', got 'shipping' (ignoring case and punctuation)"),
        (Contains(), "It is Paris, France", "paris", 1.0, "contains 'paris'"),
        (Contains(), "Lyon", "paris", 0.0, "'paris' not found in 'Lyon'"),
        (TokenF1(), "please refund", "refund my order", 0.4,
         "token F1 0.40: missing 'my', 'order'; extra 'please'"),
        (TokenF1(), "big cat", "the big cat", 1.0, "token F1 1.00: all words match"),
        (NumericTolerance(abs_tol=0.01), "13", "12.5", 0.0, "expected 12.5 ± 0.01, got 13"),
        (NumericTolerance(abs_tol=0.01), "about 12.505", "12.5", 1.0,
         "12.505 is within 12.5 ± 0.01"),
        (NumericTolerance(), "about twelve", "12", 0.0, "no number in 'about twelve'"),
        (NumericTolerance(), "12", "twelve", 0.0, "the expected value 'twelve' is not a number"),
        (RegexMatch(r"^\d+$"), "12a", "x", 0.0, r"'12a' does not match /^\d+$/"),
        (RegexMatch(r"\b{expected}\b"), "it is 5", "5", 1.0, r"matches /\b5\b/"),
    ],
)  # fmt: skip
def test_builtin_metrics_explain_their_scores(metric, predicted, expected, score, feedback):
    result = metric(ex(answer=expected), dspy.Prediction(answer=predicted))
    assert isinstance(result, ScoreWithFeedback)
    assert result == pytest.approx(score, abs=0.01)
    assert result.feedback == feedback
    assert score_of(result) == (pytest.approx(score, abs=0.01), feedback)


def test_feedback_names_fields_when_several_are_scored():
    gold = ex(category="billing", urgency="high")
    result = ExactMatch()(gold, dspy.Prediction(category="billing", urgency="low"))
    assert result == 0.5
    assert result.feedback == (
        "category: exact match: 'billing'; urgency: expected 'high', got 'low'"
    )


def test_long_values_are_shortened_in_feedback():
    result = ExactMatch()(ex(answer="a"), dspy.Prediction(answer="word " * 50))
    assert len(result.feedback) < 100 and result.feedback.endswith("…'")


def test_scores_still_behave_as_floats():
    result = ExactMatch()(ex(answer="a"), dspy.Prediction(answer="a"))
    assert result == 1.0 and result + 1 == 2.0 and bool(result) and float(result) == 1.0
    assert sum([result, result]) / 2 == 1.0 and result.score == 1.0


def test_metrics_accept_dspy3_arguments():
    gold, pred = ex(answer="a"), dspy.Prediction(answer="b")
    for metric in (ExactMatch(), TokenF1(), NumericTolerance(), RegexMatch("a")):
        result = metric(gold, pred, None, pred_name="classify", pred_trace=[])
        assert result == 0.0 and result.feedback
        assert call_metric(metric, gold, pred, None, "classify", []).feedback == result.feedback


def two(gold, pred):
    return gold.answer == pred.answer


def three(gold, pred, trace=None):
    return 0.5 if trace is None else 0.0


def five(gold, pred, trace, pred_name, pred_trace):
    return dspy.Prediction(score=1.0, feedback=f"for {pred_name} with {len(pred_trace)} steps")


def keywords(gold, pred, trace=None, **kwargs):
    return {"score": 0.25, "feedback": f"got {sorted(kwargs)}"}


class Callable3:
    def __call__(self, gold, pred, trace=None):
        return 0.75


@pytest.mark.parametrize(
    "metric, score, feedback",
    [
        (two, 1.0, None),
        (three, 0.5, None),
        (five, 1.0, "for step with 2 steps"),
        (keywords, 0.25, "got ['pred_name', 'pred_trace']"),
        (Callable3(), 0.75, None),
        (lambda gold, pred: 1, 1.0, None),
    ],
)
def test_call_metric_passes_only_what_a_metric_accepts(metric, score, feedback):
    gold, pred = ex(answer="a"), dspy.Prediction(answer="a")
    result = call_metric(metric, gold, pred, None, pred_name="step", pred_trace=[1, 2])
    assert score_of(result) == (score, feedback)


def test_evaluate_keeps_feedback_and_trace_per_row():
    dspy.configure(lm=ScriptedLM(by_input=lambda messages: {"answer": "b"}))
    devset = [ex(answer="a"), ex(answer="b")]
    result = Evaluate(devset=devset, metric=ExactMatch(), num_threads=1)(
        dspy.Predict("text -> answer")
    )
    assert [r.feedback for r in result.rows] == ["expected 'a', got 'b'", "exact match: 'b'"]
    (step,) = result.rows[0].trace
    reply = step.pop("reply")  # the text the answer was read from
    assert step == {"predictor": "self", "inputs": {"text": "x"}, "outputs": {"answer": "b"}}
    assert reply.startswith("[[ ## answer ## ]]\nb\n")


@pytest.mark.parametrize("bad", ["good", None, [1.0], dspy.Prediction(score="high")])
def test_a_metric_returning_no_score_gets_a_clear_message(bad):
    from engine.evaluate.scoring import MetricOutputError

    with pytest.raises(MetricOutputError, match="return a number, a bool, or Prediction"):
        score_of(bad)
    dspy.configure(lm=ScriptedLM(by_input=lambda messages: {"answer": "a"}))
    result = Evaluate(devset=[ex(answer="a")], metric=lambda gold, pred: bad, num_threads=1)(
        dspy.Predict("text -> answer")
    )
    assert result.rows[0].error.startswith("metric failed: MetricOutputError: the metric returned")
