"""GEPA's candidate pool: every accepted program, its parents, its per-example validation
scores, and the Pareto front (for each validation example, the candidates that score best on it).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

TIE = 1e-9


@dataclass
class PoolEntry:
    """One accepted candidate: its program, hash, parent indices and validation scores."""

    index: int
    program: Any
    hash: str
    parents: list[int]
    origin: str
    val_scores: dict[str, float]  # example id -> score
    found_at: int  # metric calls spent when it was accepted

    @property
    def score(self) -> float:
        return sum(self.val_scores.values()) / len(self.val_scores) if self.val_scores else 0.0


@dataclass
class CandidatePool:
    """The candidates kept so far, in the order they were accepted (index 0: the student)."""

    val_ids: list[str]
    entries: list[PoolEntry] = field(default_factory=list)

    def add(
        self,
        program: Any,
        cand_hash: str,
        parents: list[int],
        origin: str,
        val_scores: dict[str, float],
        found_at: int,
    ) -> PoolEntry:
        entry = PoolEntry(
            len(self.entries), program, cand_hash, parents, origin, dict(val_scores), found_at
        )
        self.entries.append(entry)
        return entry

    # -- the front ------------------------------------------------------------------------------
    def front(self) -> dict[str, set[int]]:
        """For each validation example, the candidates with the highest score on it."""
        fronts: dict[str, set[int]] = {}
        for ex_id in self.val_ids:
            scores = [(e.val_scores.get(ex_id, 0.0), e.index) for e in self.entries]
            if not scores:
                continue
            top = max(s for s, _ in scores)
            fronts[ex_id] = {i for s, i in scores if s >= top - TIE}
        return fronts

    def non_dominated(self, fronts: dict[str, set[int]]) -> set[int]:
        """Candidates on the front that no other candidate on it dominates (at least as good on
        every validation example and better on one; of exact equals, the earliest stays)."""
        on_front = set().union(*fronts.values()) if fronts else set()
        return {b for b in on_front if not any(self._dominates(a, b) for a in on_front if a != b)}

    def _dominates(self, a: int, b: int) -> bool:
        sa, sb = self.entries[a].val_scores, self.entries[b].val_scores
        diffs = [sa.get(i, 0.0) - sb.get(i, 0.0) for i in self.val_ids]
        if any(d < -TIE for d in diffs):
            return False
        return any(d > TIE for d in diffs) or a < b

    def front_counts(self) -> dict[int, int]:
        """How many validation examples each non-dominated candidate is best on."""
        fronts = self.front()
        keep = self.non_dominated(fronts)
        counts: dict[int, int] = {}
        for members in fronts.values():
            for index in members & keep:
                counts[index] = counts.get(index, 0) + 1
        return counts

    # -- selection ------------------------------------------------------------------------------
    def best(self) -> PoolEntry:
        """Highest mean validation score; the earliest wins ties."""
        return max(self.entries, key=lambda e: (e.score, -e.index))

    def select_parent(self, strategy: str, rng: random.Random) -> PoolEntry:
        """`pareto`: drawn from the front, weighted by how many examples each is best on;
        `current_best`: the best by mean score."""
        if strategy == "current_best" or len(self.entries) == 1:
            return self.best()
        counts = self.front_counts()
        if not counts:
            return self.best()
        indices = sorted(counts)
        choice = rng.choices(indices, weights=[counts[i] for i in indices], k=1)[0]
        return self.entries[choice]

    # -- lineage --------------------------------------------------------------------------------
    def ancestors(self, index: int) -> set[int]:
        seen: set[int] = set()
        stack = list(self.entries[index].parents)
        while stack:
            parent = stack.pop()
            if parent not in seen:
                seen.add(parent)
                stack.extend(self.entries[parent].parents)
        return seen

    def details(self, total_metric_calls: int) -> dict[str, Any]:
        """GEPA's detailed results: candidates, parents, per-example scores, best index."""
        fronts = self.front()
        best = self.best()
        return {
            "candidates": [e.hash for e in self.entries],
            "instructions": [_instructions(e.program) for e in self.entries],
            "parents": [list(e.parents) for e in self.entries],
            "origins": [e.origin for e in self.entries],
            "val_aggregate_scores": [e.score for e in self.entries],
            "val_subscores": [
                [e.val_scores.get(i, 0.0) for i in self.val_ids] for e in self.entries
            ],
            "val_ids": list(self.val_ids),
            "per_val_instance_best_candidates": [sorted(fronts.get(i, ())) for i in self.val_ids],
            "discovery_eval_counts": [e.found_at for e in self.entries],
            "best_idx": best.index,
            "total_metric_calls": total_metric_calls,
        }


def _instructions(program: Any) -> dict[str, str]:
    return {name: p.signature.instructions for name, p in program.named_predictors()}
