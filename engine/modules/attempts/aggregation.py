"""`majority`: the most common answer among completions (dspy's shape), and whether more
completions could still change its pick (`majority_settled`, which lets an ensemble stop early)."""

from __future__ import annotations

import functools
import re
import string
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any

from engine.core import Completions, Prediction

_ARTICLES = re.compile(r"\b(a|an|the)\b")


def normalize_text(text: Any) -> str:
    """Lowercase, drop punctuation and articles, collapse spaces."""
    text = unicodedata.normalize("NFD", str(text)).lower()
    text = "".join(ch for ch in text if ch not in set(string.punctuation))
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def default_normalize(value: Any) -> str | None:
    """Lowercase, no punctuation or articles; None (the vote is ignored) when nothing is left."""
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
    values = _values(completions, normalize, field)
    counts = _counts(values) or _counts(values, voting_only=False)
    winner = max(counts, key=lambda value: counts[value])  # first seen wins a tie
    chosen = completions[values.index(winner)]
    return Prediction.from_completions([_items(chosen)])


def majority_settled(
    completions: Sequence[Any],
    remaining: int,
    normalize: Callable[[Any], Any] | None = default_normalize,
    field: str | None = None,
) -> bool:
    """Whether `majority` must pick the same completion however `remaining` more completions
    (appended after these) vote: the leading value stays ahead of every other value even if
    all of them went to that value (a tie keeps the value seen first)."""
    if not completions:
        return False
    counts = _counts(_values(list(completions), normalize, field))
    if not counts:  # nobody voted yet
        return remaining == 0
    order = list(counts)  # first seen first
    leader = max(counts, key=lambda value: counts[value])
    lead = counts[leader]
    for rank, value in enumerate(order):
        if value == leader:
            continue
        seen_first = rank < order.index(leader)
        if counts[value] + remaining > lead or (seen_first and counts[value] + remaining == lead):
            return False
    return remaining <= lead  # a value not seen yet comes after the leader


def majority_arguments(reduce_fn: Any) -> dict[str, Any] | None:
    """`majority`'s keyword arguments when `reduce_fn` is `majority` or a partial of it (only
    `normalize` / `field` bound), else None."""
    func, bound = reduce_fn, {}
    if isinstance(reduce_fn, functools.partial) and not reduce_fn.args:
        func, bound = reduce_fn.func, dict(reduce_fn.keywords)
    if func is not majority or set(bound) - {"normalize", "field"}:
        return None
    return bound


def _values(
    completions: list[Any], normalize: Callable[[Any], Any] | None, field: str | None
) -> list[Any]:
    """Each completion's normalized `field` value (default field: the first one's last)."""
    if field is None:
        field = list(_items(completions[0]))[-1]
    norm = normalize or (lambda value: value)
    return [norm(_items(c).get(field)) for c in completions]


def _counts(values: list[Any], voting_only: bool = True) -> dict[Any, int]:
    """How often each value comes, in first-seen order (None does not vote by default)."""
    counts: dict[Any, int] = {}
    for value in values:
        if value is not None or not voting_only:
            counts[value] = counts.get(value, 0) + 1
    return counts


def _completions(value: Any) -> list[Any]:
    if isinstance(value, Prediction):
        return list(value.completions)
    if isinstance(value, (list, tuple, Completions)):
        return list(value)
    raise TypeError(
        f"majority() takes a Prediction or a list of completions, not {type(value).__name__}"
    )


def _items(completion: Any) -> dict[str, Any]:
    return dict(completion.items()) if hasattr(completion, "items") else dict(completion)
