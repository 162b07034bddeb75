"""A pilot: the student on a few training rows with the run's task LM, before the run.

It measures what an estimate otherwise assumes: task LM calls per program run (a ChainOfThought
whose replies need a parse fallback pays two, a ReAct agent pays one per tool step), the
model's hit rate, and for an optimizer that samples rollouts (SIMBA) the same for them, how
often they disagree with the plain run, whether the prompt model's rules survive cleaning, and
how a program with one addition (a demo) scores on the same rows (`Optimizer.pilot_rollout`,
`Optimizer.pilot_rules`, `Optimizer.pilot_addition`).

The rows and rollouts are the ones the run starts with (`Optimizer.pilot_plan`), evaluated
through a `TrialRunner` like the run's, so every LM request is the one the run will make: with
the same cache directory the run gets them back from the LM request cache. (Usage still counts
a cached call as a call, so the estimate does not change; the run's wall time does.)
"""

from __future__ import annotations

import time
from typing import Any

from engine.adapters.base import Adapter
from engine.core import Offload, TunesmithError
from engine.optimizers.spine._context import RunContext
from engine.optimizers.spine._pilot_figures import PilotFigures
from engine.optimizers.spine._trials import TrialRunner


class PilotError(TunesmithError):
    """The pilot could not measure anything (the LM failed); nothing was changed."""


def fallback_counts() -> tuple[int, int, int]:
    """(failed, read, skipped) parse fallbacks so far in this process, all prompt families."""
    outcomes = Adapter.fallback_record.snapshot()
    return (
        sum(o.failed for o in outcomes),
        sum(o.succeeded for o in outcomes),
        sum(o.skipped for o in outcomes),
    )


def _fallbacks(before: tuple[int, int, int], runs: int) -> tuple[float, float, float | None]:
    """(need per run, paid per run, share read) since `before`."""
    failed, read, skipped = (a - b for a, b in zip(fallback_counts(), before, strict=True))
    paid = failed + read
    runs = max(1, runs)
    return (paid + skipped) / runs, paid / runs, (read / paid if paid else None)


def _task_calls(run: RunContext, mark: int) -> int:
    return sum(1 for r in run.ledger.records[mark:] if r.role == "task")


MEASURED_ERRORS = ("AdapterParseError", "constraint failed")  # what the model did, measured


def _rows_failed(trial: Any) -> str | None:
    """The first error when every row failed for a reason other than the model's reply (an LM
    that cannot be reached, a program that raises): nothing was measured."""
    errors = [r["error"] for r in trial.rows if r.get("error")]
    if not trial.rows or len(errors) < len(trial.rows):
        return None
    if any(str(e).startswith(MEASURED_ERRORS) for e in errors):
        return None
    return errors[0]


def run_pilot(
    optimizer: Any,
    student: Any,
    trainset: list[Any],
    metric: Any,
    *,
    rows: int = 4,
    seed: int = 0,
    row_pool: Offload | None = None,
) -> PilotFigures:
    """Measure `student` on the first training rows `optimizer`'s run will score, and its
    sampled rollouts where the optimizer runs them (`Optimizer.pilot_plan`; with the LM on the
    settings). Raises PilotError when there is nothing to run or every row
    failed. `row_pool`: where the rows are scored, as in a run (`RunContext.row_pool`: a Ray
    pool), else in this process."""
    examples, sampled, rollouts = optimizer.pilot_plan(trainset, rows, seed)
    if not examples:
        raise PilotError("the pilot needs at least one training row")
    started = time.monotonic()
    run = RunContext(seed=seed)
    run.row_pool = row_pool
    runner = TrialRunner(run, metric)
    try:
        with run.activate():
            mark, before = len(run.ledger), fallback_counts()
            plain = runner.evaluate(student, examples, subset="minibatch", track_best=False)
            plain_calls = _task_calls(run, mark)
            plain_fallbacks = _fallbacks(before, len(plain.rows))
            before = fallback_counts()
            variants = []
            for rollout in range(1, rollouts + 1):
                program = optimizer.pilot_rollout(student, rollout)
                variants.append((rollout, runner.evaluate(
                    program, sampled, subset="minibatch", track_best=False
                )))  # fmt: skip
            rollout_calls = _task_calls(run, mark) - plain_calls
            rollout_fallbacks = _fallbacks(before, sum(len(t.rows) for _, t in variants))
            tried, kept = optimizer.pilot_rules(student, sampled, plain, variants)
            added = optimizer.pilot_addition(student, plain, [t for _, t in variants])
            added_scores = (
                {} if added is None else dict(runner.evaluate(
                    added, examples, subset="minibatch", track_best=False
                ).example_scores)
            )  # fmt: skip
    except TunesmithError as exc:
        raise PilotError(f"the pilot failed: {type(exc).__name__}: {exc}") from exc
    failed = _rows_failed(plain)
    if failed is not None:
        raise PilotError(f"the task LM failed on every pilot row: {failed}")
    n = len(plain.rows)
    scores = dict(plain.example_scores)
    rollout_scores = {
        f"{rollout}:{ex_id}": score
        for rollout, trial in variants
        for ex_id, score in trial.example_scores.items()
    }
    disagree = None
    if variants:
        both = list(variants[0][1].example_scores)
        split = [
            ex_id for ex_id in both
            if len({scores[ex_id], *(t.example_scores.get(ex_id) for _, t in variants)}) > 1
        ]  # fmt: skip
        disagree = len(split) / max(1, len(both))
    rollout_runs = sum(len(t.rows) for _, t in variants)
    return PilotFigures(
        rows=n,
        calls_per_run=plain_calls / max(1, n),
        hit_rate=sum(scores.values()) / max(1, n),
        scores=scores,
        rollouts=len(variants),
        rollout_rows=len(sampled) if variants else 0,
        rollout_calls_per_run=rollout_calls / rollout_runs if rollout_runs else None,
        rollout_hit_rate=(
            sum(rollout_scores.values()) / len(rollout_scores) if rollout_scores else None
        ),
        rollout_scores=rollout_scores,
        disagree=disagree,
        rules_tried=tried,
        rules_kept=kept,
        added_scores=added_scores,
        calls=len(run.ledger),
        seconds=round(time.monotonic() - started, 2),
        fallback_need=plain_fallbacks[0],
        fallback_paid=plain_fallbacks[1],
        fallback_success=plain_fallbacks[2],
        rollout_fallback_need=rollout_fallbacks[0] if variants else 0.0,
        rollout_fallback_paid=rollout_fallbacks[1] if variants else 0.0,
        rollout_fallback_success=rollout_fallbacks[2] if variants else None,
    )
