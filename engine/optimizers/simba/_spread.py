"""Where SIMBA's variants disagree: per batch example, the spread of the variants' scores."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Bucket:
    """One batch example's rows across the variants, best first (ties: the earlier variant)."""

    example_id: str
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # (variant, row)

    @property
    def scores(self) -> list[float]:
        return [float(row["score"]) for _, row in self.rows]

    @property
    def max(self) -> float:
        return max(self.scores, default=0.0)

    @property
    def min(self) -> float:
        return min(self.scores, default=0.0)

    @property
    def mean(self) -> float:
        scores = self.scores
        return sum(scores) / len(scores) if scores else 0.0

    @property
    def gap(self) -> float:
        return self.max - self.min

    def key(self) -> tuple[float, float, float]:
        """Sort key, largest first: max - min, then max, then max - mean (DSPy's order)."""
        return (round(self.gap, 9), round(self.max, 9), round(self.max - self.mean, 9))

    def best(self) -> tuple[int, dict[str, Any]]:
        return self.rows[0]

    def worst(self) -> tuple[int, dict[str, Any]]:
        return self.rows[-1]

    def to_dict(self) -> dict[str, Any]:
        return {
            "example_id": self.example_id,
            "min": self.min,
            "max": self.max,
            "mean": round(self.mean, 6),
        }


def buckets_by_spread(
    batch_ids: list[str], trials: list[Any], results: dict[tuple[str, str], dict] | None = None
) -> list[Bucket]:
    """One bucket per distinct batch example from the variants' trials, sorted by
    `Bucket.key` (largest spread first; ties keep the batch order). A row is the trial's own,
    else `results[(candidate, example id)]` (a trial replayed on resume carries only scores)."""
    results = results or {}
    rows_of = []
    for trial in trials:
        own = {row["example_id"]: row for row in getattr(trial, "rows", None) or []}
        for ex_id, score in getattr(trial, "example_scores", {}).items():
            if ex_id not in own:
                row = results.get((trial.candidate, ex_id))
                own[ex_id] = row if row is not None else {"example_id": ex_id, "score": score}
        rows_of.append(own)
    buckets = []
    for ex_id in dict.fromkeys(batch_ids):
        found = [(i, rows[ex_id]) for i, rows in enumerate(rows_of) if ex_id in rows]
        found.sort(key=lambda item: (-float(item[1]["score"]), item[0]))
        if found:
            buckets.append(Bucket(ex_id, found))
    return sorted(buckets, key=lambda b: tuple(-v for v in b.key()))


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) with linear interpolation between ranks (numpy's default)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100.0
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)
