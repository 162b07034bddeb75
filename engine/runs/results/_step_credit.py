"""Which step's change moved the score, in a program of several steps: the run's best program
scored on the run's validation rows as it is, and once per changed step with that step put
back as it started (the run's baseline), the others kept tuned. A step whose return costs many
points carried the gain; one whose return costs nothing (or gains) did not help. Kept with the
run as a "step_credit" event (`save_step_credit`, `saved_step_credit`)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from engine.core import TunesmithError
from engine.evaluate.statistics import paired_by_id
from engine.optimizers.proposing import predictor_states
from engine.optimizers.registry import export_hook
from engine.runs.data import load_data
from engine.runs.export import program_state, rebuild, run_spec, stored_run
from engine.runs.pipeline import LMFactory
from engine.runs.results._leaderboard import score_rows
from engine.runs.store import RunStore

CREDIT = "step_credit"
Progress = Callable[[int, int, str], None]  # (scorings done, scorings in all, what is next)


@dataclass(frozen=True)
class StepCredit:
    """One changed step: the program's score with that step as it started, and the tuned
    program against it on the same rows (`versus`: its paired difference and 95% range)."""

    step: str
    without: float
    versus: dict[str, Any] | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def changed_steps(best: dict[str, Any], start: dict[str, Any]) -> list[str]:
    """The predictor paths whose state differs between the two program states."""
    tuned, started = predictor_states(best), predictor_states(start)
    return [path for path, state in tuned.items() if started.get(path) not in (None, state)]


def step_credit(
    run_id: str,
    *,
    db_path: str | Path | None = None,
    lm_factory: LMFactory | None = None,
    progress: Progress | None = None,
) -> tuple[float, int, list[StepCredit]]:
    """(the best program's validation score, rows, one StepCredit per changed step). Answers
    the run already had come from the cache; a program its optimizer rebuilds itself (nearest
    neighbours, an ensemble) has no steps to swap, and is refused."""
    run = stored_run(run_id, db_path)
    spec = run_spec(run)
    best = program_state(run_id, db_path)
    if export_hook(best) is not None:
        raise TunesmithError("this run's program is rebuilt by its optimizer: no steps to swap")
    start = program_state(run_id, db_path, run.get("baseline_candidate"))
    steps = changed_steps(best, start)
    rows = load_data(spec).val
    if not rows:
        raise TunesmithError(f"run {run_id} has no validation rows to score the steps on")
    plans = [("the tuned program", best), *((p, _with_step(best, start, p)) for p in steps)]
    scored: list[dict[str, float]] = []
    for done, (what, state) in enumerate(plans):
        if progress is not None:
            progress(done, len(plans), what)
        program = rebuild(spec, state)
        scored.append(score_rows(spec, program, rows, lm_factory, fresh=False)[0])
    tuned = scored[0]
    credits = [
        StepCredit(step=path, without=_mean(scores), versus=paired_by_id(scores, tuned))
        for path, scores in zip(steps, scored[1:])
    ]
    return _mean(tuned), len(rows), credits


def _with_step(best: dict[str, Any], start: dict[str, Any], path: str) -> dict[str, Any]:
    state = copy.deepcopy(best)
    if path == "self":
        return copy.deepcopy(start)
    state[path] = copy.deepcopy(start[path])
    return state


def _mean(scores: dict[str, float]) -> float:
    return sum(scores.values()) / len(scores) if scores else 0.0


def save_step_credit(run_id: str, score: float, n: int, credits: list[StepCredit],
                     db_path: str | Path | None = None) -> None:  # fmt: skip
    with RunStore(db_path) as store:
        store.append_event(run_id, CREDIT, {"score": score, "n": n,
                                            "steps": [c.to_dict() for c in credits]})  # fmt: skip


def saved_step_credit(
    run_id: str, db_path: str | Path | None = None
) -> tuple[float, int, list[StepCredit]] | None:
    """The last kept measure: (score, rows, credits), or None."""
    with RunStore(db_path) as store:
        kept = store.events(run_id, types=[CREDIT])
    if not kept:
        return None
    data = kept[-1].get("data") or {}
    credits = [StepCredit(**c) for c in data.get("steps") or []]
    return float(data.get("score") or 0.0), int(data.get("n") or 0), credits
