"""GEPA's merge: combine two lineages that grew apart from a common ancestor.

Two candidates on the front that share an ancestor each changed some predictors. The merged
program takes, per predictor, the version that changed (instruction and demos together); where
both changed it, the version of the candidate with the higher validation score. A merge is
worth scoring only if it differs from both parents.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from engine.optimizers.gepa._pool import CandidatePool, PoolEntry

MERGE_SUBSAMPLE = 5  # validation examples a merged program is first scored on


@dataclass
class MergePlan:
    """A merged program, its two parents and their common ancestor."""

    program: Any
    left: PoolEntry
    right: PoolEntry
    ancestor: PoolEntry
    taken: dict[str, str]  # predictor path -> "left" | "right" | "both"


def _component(program: Any, path: str) -> tuple[str, Any]:
    predictor = dict(program.named_predictors())[path]
    return predictor.signature.instructions, [dict(d.items()) for d in predictor.demos]


def _combine(left: PoolEntry, right: PoolEntry, ancestor: PoolEntry) -> MergePlan | None:
    program = ancestor.program.deepcopy()
    taken: dict[str, str] = {}
    for path, target in program.named_predictors():
        base = _component(ancestor.program, path)
        from_left, from_right = _component(left.program, path), _component(right.program, path)
        if from_left == from_right:
            source, taken[path] = left, "both"
        elif from_right == base:
            source, taken[path] = left, "left"
        elif from_left == base:
            source, taken[path] = right, "right"
        else:
            source = left if left.score >= right.score else right
            taken[path] = "left" if source is left else "right"
        chosen = dict(source.program.named_predictors())[path]
        target.signature = chosen.signature
        target.demos = list(chosen.demos)
    sides = set(taken.values())
    if not {"left", "right"} <= sides:
        return None  # equal to one parent: nothing to learn
    return MergePlan(program, left, right, ancestor, taken)


def propose_merge(
    pool: CandidatePool, rng: random.Random, tried: set[tuple[int, int]], candidates: set[int]
) -> MergePlan | None:
    """A merge of two front candidates (indices in `candidates`) with a common ancestor, not
    tried before; None when there is none. The pair is added to `tried`."""
    front = sorted(candidates)
    pairs = []
    for i, a in enumerate(front):
        for b in front[i + 1 :]:
            if (a, b) in tried:
                continue
            lineage_a, lineage_b = pool.ancestors(a), pool.ancestors(b)
            if a in lineage_b or b in lineage_a:
                continue  # one descends from the other
            common = lineage_a & lineage_b
            if common:
                pairs.append((a, b, max(common)))  # the nearest shared ancestor
    rng.shuffle(pairs)
    for a, b, ancestor in pairs:
        tried.add((a, b))
        plan = _combine(pool.entries[a], pool.entries[b], pool.entries[ancestor])
        if plan is not None:
            return plan
    return None


def merge_subsample(
    left: PoolEntry, right: PoolEntry, val_ids: list[str], rng: random.Random
) -> list[str]:
    """Up to MERGE_SUBSAMPLE validation examples, those where the parents disagree first."""
    differ = [i for i in val_ids if left.val_scores.get(i) != right.val_scores.get(i)]
    same = [i for i in val_ids if i not in set(differ)]
    rng.shuffle(differ)
    rng.shuffle(same)
    return (differ + same)[:MERGE_SUBSAMPLE]
