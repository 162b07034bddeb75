"""A trial: one evaluation of one candidate on a named subset, as the event stream and the
store hold it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from engine.modules.assertions import is_constraint_failure

BEST_SUBSETS = ("val", "full")  # subsets whose scores decide the best candidate
PARTIAL_SUBSET = "minibatch"  # a raced evaluation stopped early


@dataclass
class Trial:
    """One evaluation of one candidate on a named subset ("minibatch", "val", "full", "test")."""

    number: int
    candidate: str
    subset: str
    score: float
    example_scores: dict[str, float]
    usage: dict[str, Any]
    wall_time: float
    n: int
    errors: int
    rows: list[dict[str, Any]] = field(default_factory=list, repr=False)
    constraint_failures: int = 0  # rows failed by an Assert; not in the event (rows tell it)

    def key(self) -> tuple[str, str, frozenset[str]]:
        """What makes two trials the same: candidate, subset name and example ids."""
        return trial_key(self.candidate, self.subset, self.example_scores)

    def to_dict(self) -> dict[str, Any]:
        """The `trial` event payload (spine.md)."""
        return {
            "number": self.number,
            "candidate": self.candidate,
            "subset": self.subset,
            "score": self.score,
            "n": self.n,
            "errors": self.errors,
            "usage": dict(self.usage),
            "wall_time": self.wall_time,
            "rows": list(self.rows),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Trial:
        """Rebuild a trial from a `trial` event payload or a stored row."""
        rows = list(data.get("rows") or [])
        scores = data.get("example_scores") or {r["example_id"]: float(r["score"]) for r in rows}
        return cls(
            int(data["number"]),
            data["candidate"],
            data["subset"],
            float(data["score"]),
            dict(scores),
            dict(data.get("usage") or {}),
            float(data.get("wall_time") or 0.0),
            int(data.get("n", len(rows) or len(scores))),
            int(data.get("errors") or 0),
            rows,
            constraint_failures(rows),
        )


def constraint_failures(rows: list[dict[str, Any]]) -> int:
    """How many result rows an Assert failed ("constraint failed: ...")."""
    return sum(1 for r in rows if is_constraint_failure(r.get("error")))


def trial_key(candidate: str, subset: str, ids: Iterable[str]) -> tuple[str, str, frozenset[str]]:
    return candidate, subset, frozenset(ids)


def usage_of(records: list[Any]) -> dict[str, Any]:
    """{calls, uncached_calls, tokens, cost} of some ledger records."""
    uncached = [r for r in records if not r.cache_hit]
    return {
        "calls": len(records),
        "uncached_calls": len(uncached),
        "tokens": sum(r.total_tokens for r in uncached),
        "cost": round(sum(r.cost or 0.0 for r in uncached), 8),
    }
