"""`ScorePrediction`: what DSPy's LM-judged metrics return, `Prediction(score=...)`, that also
reads as its score: it compares, adds and converts like a float, so code written for float
metrics (and sums in an evaluation loop) keeps working. `.feedback` says why, in words."""

from __future__ import annotations

from numbers import Real
from typing import Any

from engine.core import Prediction


def _num(other: Any) -> float | None:
    if isinstance(other, ScorePrediction):
        return float(other)
    if isinstance(other, (Real, bool)):
        return float(other)
    return None


class ScorePrediction(Prediction):
    """`Prediction(score=0.8, feedback="...")` that is also the number 0.8."""

    def __init__(self, score: float | bool, feedback: str = "", **fields: Any) -> None:
        super().__init__(score=score, feedback=feedback, **fields)

    def __float__(self) -> float:
        return float(self._store["score"])

    def __bool__(self) -> bool:
        return bool(self._store["score"])

    def __eq__(self, other: object) -> bool:
        value = _num(other) if not isinstance(other, ScorePrediction) else None
        if value is not None:
            return float(self) == value
        if isinstance(other, Prediction):
            return super().__eq__(other)
        return NotImplemented  # type: ignore[return-value]

    def __hash__(self) -> int:
        return hash(float(self))

    def _compare(self, other: Any, op: str) -> Any:
        value = _num(other)
        if value is None:
            return NotImplemented
        return getattr(float(self), op)(value)

    def __lt__(self, other: Any) -> Any:
        return self._compare(other, "__lt__")

    def __le__(self, other: Any) -> Any:
        return self._compare(other, "__le__")

    def __gt__(self, other: Any) -> Any:
        return self._compare(other, "__gt__")

    def __ge__(self, other: Any) -> Any:
        return self._compare(other, "__ge__")

    def __add__(self, other: Any) -> Any:
        return self._compare(other, "__add__")

    def __radd__(self, other: Any) -> Any:
        return self._compare(other, "__radd__")

    def __sub__(self, other: Any) -> Any:
        return self._compare(other, "__sub__")

    def __rsub__(self, other: Any) -> Any:
        return self._compare(other, "__rsub__")

    def __mul__(self, other: Any) -> Any:
        return self._compare(other, "__mul__")

    def __rmul__(self, other: Any) -> Any:
        return self._compare(other, "__rmul__")

    def __truediv__(self, other: Any) -> Any:
        return self._compare(other, "__truediv__")

    def __rtruediv__(self, other: Any) -> Any:
        return self._compare(other, "__rtruediv__")

    def __abs__(self) -> float:
        return abs(float(self))

    def __round__(self, ndigits: int | None = None) -> Any:
        return round(float(self), ndigits)

    def __reduce__(self) -> tuple[Any, ...]:
        extra = {k: v for k, v in self._store.items() if k not in ("score", "feedback")}
        return (_rebuild, (self._store["score"], self._store.get("feedback", ""), extra))


def _rebuild(score: Any, feedback: str, extra: dict[str, Any]) -> ScorePrediction:
    return ScorePrediction(score, feedback, **extra)
