"""`majority`: the most common answer among completions (dspy's shape)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.primitives import Prediction


def default_normalize(value: Any) -> str | None:
    """Lowercase, no punctuation or articles; None (the vote is ignored) when nothing is left."""
    from engine.evaluate.metrics import normalize_text  # (evaluate imports engine.modules)

    return normalize_text(value) or None


def majority(
    prediction_or_completions: Any,
    normalize: Callable[[Any], Any] | None = default_normalize,
    field: str | None = None,
) -> Prediction:
    """The completion whose `field` value (default: the last field) is most common.

    Values are compared after `normalize` (None: as they are); a completion normalizing to None
    does not vote, unless none vote at all. Ties go to the value seen first. Accepts a
    Prediction (its completions) or a list of Predictions / dicts; returns a Prediction of the
    first completion with the winning value.
    """
    completions = _completions(prediction_or_completions)
    if not completions:
        raise ValueError("majority() needs at least one completion")
    if field is None:
        field = list(_items(completions[0]))[-1]
    norm = normalize or (lambda value: value)
    values = [norm(_items(c).get(field)) for c in completions]
    voting = [v for v in values if v is not None] or values
    counts: dict[Any, int] = {}
    for value in voting:
        counts[value] = counts.get(value, 0) + 1
    winner = max(counts, key=lambda value: counts[value])  # first seen wins a tie
    chosen = completions[values.index(winner)]
    return Prediction.from_completions([_items(chosen)])


def _completions(value: Any) -> list[Any]:
    if isinstance(value, Prediction):
        return list(value.completions)
    if isinstance(value, (list, tuple)):
        return list(value)
    raise TypeError(
        f"majority() takes a Prediction or a list of completions, not {type(value).__name__}"
    )


def _items(completion: Any) -> dict[str, Any]:
    return dict(completion.items()) if hasattr(completion, "items") else dict(completion)
