"""COPRO's `track_stats=True`: per predictor and round, the spread of the scores of the
instructions tried (`results_latest`) and of the best ones found so far (`results_best`), and
`total_calls`, the candidate evaluations made; set on the compiled program as DSPy does."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

_KEYS = ("depth", "max", "average", "min", "std")


def _spread(scores: list[float]) -> dict[str, float]:
    return {
        "max": max(scores), "average": statistics.fmean(scores), "min": min(scores),
        "std": statistics.pstdev(scores),
    }  # fmt: skip


@dataclass
class CoproStats:
    """Scores per predictor, round by round; `keep` is how many best scores `results_best`
    summarises (COPRO's breadth)."""

    keep: int
    total_calls: int = 0
    results_best: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    results_latest: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    _seen: dict[str, list[float]] = field(default_factory=dict)

    def add_round(self, name: str, depth: int, scores: list[float]) -> None:
        """Record one round's scores for predictor `name` (the evaluations they cost too)."""
        if not scores:
            return
        self.total_calls += len(scores)
        seen = self._seen.setdefault(name, [])
        seen.extend(scores)
        best = sorted(seen, reverse=True)[: max(1, self.keep)]
        for table, values in ((self.results_latest, scores), (self.results_best, best)):
            row = table.setdefault(name, {key: [] for key in _KEYS})
            row["depth"].append(depth)
            for key, value in _spread(values).items():
                row[key].append(value)

    def attach(self, program: Any) -> Any:
        """Set `total_calls`, `results_best` and `results_latest` on `program`."""
        program.total_calls = self.total_calls
        program.results_best = self.results_best
        program.results_latest = self.results_latest
        return program
