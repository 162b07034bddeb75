"""GEPA's forecast: how many reflections and metric calls a search will make, before it runs.

The budget caps metric calls, but what a budget buys depends on the run: a parent's minibatch
rows cost nothing once that parent was scored on them, a reflection that gives no usable
instruction costs no metric call, and a kept child costs a full validation. The forecast walks
the search's own minibatch order (the same seeded `MinibatchOrder` the search reads) with the
expected share of usable and kept reflections, and stops where the search would: when the next
step does not fit the budget.

The shares depend on the reflection model. For the embedded model they are measured (see
`EMBEDDED_ODDS`); for any other model they are assumed, and the estimate's notes say which.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.optimizers.gepa._merge import MERGE_SUBSAMPLE
from engine.optimizers.gepa._plan import MinibatchOrder
from engine.optimizers.spine import CallFigures

MAX_FORECAST_ITERATIONS = 100_000  # a guard; a real forecast ends on its budget long before


@dataclass(frozen=True)
class ReflectionOdds:
    """What a reflection model does, on average: the share of reflections that give a usable
    instruction, and the share of usable ones whose child beats its parent on the minibatch."""

    usable: float
    kept: float
    source: str  # where the shares come from, for the estimate's notes


# SmolLM2-135M reflecting on itself, measured on the embedded model over four sample-spec runs
# (tickets with budgets 30 and 60, the handbook RAG, the ReAct agent): 34 usable reflections
# of 39, and none of the 34 children beat its parent on its minibatch.
EMBEDDED_ODDS = ReflectionOdds(
    usable=0.85, kept=0.02, source="measured for the embedded model reflecting on itself"
)
# A capable hosted reflection model: assumed, not measured on this machine (no provider key).
HOSTED_ODDS = ReflectionOdds(usable=0.95, kept=0.3, source="assumed for a hosted model")


@dataclass
class GepaForecast:
    """Expected counts for one GEPA search (fractions: expectations, not promises)."""

    reflections: float
    metric_calls: float
    kept: float
    merges: float
    trials: float


@dataclass
class _Walk:
    budget: int
    n_val: int
    used: float
    reflections: float = 0.0
    kept: float = 0.0
    merges: float = 0.0
    trials: float = 1.0

    def fits(self, cost: float) -> bool:
        return self.used + cost <= self.budget + 1e-9


def forecast_search(
    budget: int,
    val_ids: list[str],
    order: MinibatchOrder,
    odds: ReflectionOdds,
    *,
    merges_allowed: int = 0,
) -> GepaForecast:
    """Walk the search in expectation: the student on the valset, then per iteration its
    parent's minibatch (rows not scored yet), a reflection, the child's minibatch for a usable
    one, and a full validation for a kept one; merges once two children were kept."""
    n_val = len(val_ids)
    walk = _Walk(budget=budget, n_val=n_val, used=float(n_val))
    student_seen = set(val_ids)  # (student, example) pairs already scored
    idle = 0
    for iteration in range(MAX_FORECAST_ITERATIONS):
        if _merge_due(walk, merges_allowed):
            if not _merge(walk):
                break
            continue
        batch = order.batch(iteration)
        later = walk.kept / (1.0 + walk.kept)  # share of parents that are kept children
        parent_cost = (1 - later) * len(set(batch) - student_seen) + later * len(batch)
        if not walk.fits(parent_cost):
            break
        walk.used += parent_cost
        walk.trials += 1
        student_seen.update(batch)
        if not walk.fits(len(batch)):  # no room for a child: the search ends unreflected
            break
        walk.reflections += 1
        child_cost = odds.usable * len(batch)
        walk.used += child_cost
        walk.trials += odds.usable
        kept = odds.usable * odds.kept
        if kept and not walk.fits(kept * n_val):
            break
        walk.used += kept * n_val
        walk.kept += kept
        walk.trials += kept
        idle = idle + 1 if parent_cost + child_cost == 0 else 0
        if idle >= 10:
            break
    return GepaForecast(walk.reflections, walk.used, walk.kept, walk.merges, walk.trials)


def _merge_due(walk: _Walk, merges_allowed: int) -> bool:
    """A merge needs two kept lineages; one is tried per kept child after that, up to the cap."""
    return walk.merges < merges_allowed and walk.merges + 1 < walk.kept


def _merge(walk: _Walk) -> bool:
    """One merge: scored on a few validation rows, and on all of them when it is kept
    (assumed: half are). False when it does not fit."""
    cost = min(MERGE_SUBSAMPLE, walk.n_val) + 0.5 * walk.n_val
    if not walk.fits(cost):
        return False
    walk.used += cost
    walk.merges += 1
    walk.trials += 1.5
    return True


def reflection_odds(lm: object) -> ReflectionOdds:
    """The odds for a reflection model: measured ones for the embedded model, else assumed."""
    model = str(getattr(lm, "model", "") or "")
    return EMBEDDED_ODDS if model.startswith("local/") else HOSTED_ODDS


def piloted_task_calls(
    metric_calls: float, child_runs: float, figures: CallFigures, give_up: int
) -> float:
    """Task calls of `metric_calls` program runs with a pilot's figures: its calls per run
    without parse fallbacks, plus the fallbacks. When the pilot saw no fallback read, the
    adapter gives up on a prompt family after its first `give_up` failures: the student's
    family (every run but the children's) pays at most that many; each child (a few minibatch
    rows, its own instruction) pays for every run that needs one."""
    need = figures.need
    student_runs = max(0.0, metric_calls - child_runs)
    if figures.success:
        fallbacks = metric_calls * need
    else:
        fallbacks = min(student_runs * need, give_up) + child_runs * need
    return metric_calls * figures.base + fallbacks
