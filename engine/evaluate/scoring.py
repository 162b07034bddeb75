"""How a metric is called and what it may return.

A metric is `metric(gold, pred, trace=None, pred_name=None, pred_trace=None)` (DSPy 3's shape);
older ones take `(gold, pred)` or `(gold, pred, trace)`. `call_metric` passes only what the
metric accepts. A metric may return a bool, a number, a `ScoreWithFeedback` (a float that also
carries `.feedback`), or any object or dict with `score` (and optionally `feedback`), such as
`Prediction(score=..., feedback="...")`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import lru_cache
from typing import Any


class ScoreWithFeedback(float):
    """A score that reads as a plain float and also explains itself in words.

    `ScoreWithFeedback(0.0, "expected 'refund', got 'order_status'")` compares, sums and
    tests truthiness like 0.0, so code written for float metrics keeps working.
    """

    feedback: str

    def __new__(cls, score: float, feedback: str = "") -> ScoreWithFeedback:
        value = super().__new__(cls, float(score))
        value.feedback = feedback
        return value

    @property
    def score(self) -> float:
        return float(self)

    def __repr__(self) -> str:
        return f"ScoreWithFeedback({float(self)!r}, feedback={self.feedback!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (ScoreWithFeedback, (float(self), self.feedback))


class MetricOutputError(TypeError):
    """A metric returned something that is neither a score nor a score with feedback."""


def score_of(value: Any) -> tuple[float, str | None]:
    """Metric output -> (score, feedback or None); MetricOutputError says what was wrong."""
    if isinstance(value, bool):
        return float(value), None
    if hasattr(value, "score"):
        feedback = getattr(value, "feedback", None)
        return _number(value.score), (str(feedback) if feedback else None)
    if isinstance(value, dict) and "score" in value:
        feedback = value.get("feedback")
        return _number(value["score"]), (str(feedback) if feedback else None)
    return _number(value), None


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:59] + "…"
        raise MetricOutputError(
            f"the metric returned {shown} ({type(value).__name__}); return a number, a bool, "
            "or Prediction(score=..., feedback=...)"
        ) from None


EXTRAS = ("trace", "pred_name", "pred_trace")  # DSPy 3's arguments after (gold, pred)


@lru_cache(maxsize=256)
def _accepted(func: Callable[..., Any]) -> tuple[int, frozenset[str], bool]:
    """(positional parameters accepted, names that can be passed by keyword, whether it takes
    **kwargs)."""
    try:
        params = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):
        return 3, frozenset(), False
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        positional = 5
    else:
        positional = sum(
            1 for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        )
    names = frozenset(p.name for p in params if p.kind is not p.POSITIONAL_ONLY)
    return positional, names, any(p.kind is p.VAR_KEYWORD for p in params)


def _shape(metric: Any) -> tuple[int, frozenset[str], bool]:
    target = metric if inspect.isfunction(metric) or inspect.ismethod(metric) else metric.__call__
    try:
        return _accepted(target)
    except TypeError:  # unhashable callable
        return 3, frozenset(), False


def accepts_predictor_feedback(metric: Any) -> bool:
    """Whether `metric` takes `pred_name` / `pred_trace` (so it can judge one predictor)."""
    positional, names, var_keyword = _shape(metric)
    return var_keyword or positional >= 5 or {"pred_name", "pred_trace"} <= names


def call_metric(
    metric: Callable[..., Any],
    gold: Any,
    pred: Any,
    trace: Any = None,
    pred_name: str | None = None,
    pred_trace: Any = None,
) -> Any:
    """Call `metric` with as many of DSPy 3's arguments as it accepts: all five positionally
    when it takes five; else `trace` third when it has room, and each argument it names by
    keyword (with **kwargs: `trace`, and the others when set). So `m(example, pred, **kwargs)`,
    `m(example, pred, *, trace=None)` and `answer_exact_match(example, pred, trace=None,
    frac=1.0)` all work."""
    positional, names, var_keyword = _shape(metric)
    values = dict(zip(EXTRAS, (trace, pred_name, pred_trace)))
    if positional >= 5:
        return metric(gold, pred, *values.values())
    args: list[Any] = [gold, pred]
    if positional >= 3:
        args.append(values.pop("trace"))
    # a name the metric declares gets its value; **kwargs gets `trace` and, only when set,
    # pred_name / pred_trace (a metric passing **kwargs on to a DSPy metric such as
    # answer_exact_match(example, pred, trace=None) must not hand it names it lacks)
    kwargs = {
        k: v for k, v in values.items()
        if k in names or (var_keyword and (k == "trace" or v is not None))
    }  # fmt: skip
    return metric(*args, **kwargs)
