"""A finished run's top-k candidates as one `Ensemble` program (majority vote by default).

The members are the candidates with the best validation scores (each candidate's best "val" or
"full" trial; ties: the earlier trial), rebuilt from the run's spec with their stored state.
Building it makes no LM call. Its JSON is the state `Module.save()` writes (members under
`programs[i]. ...`) and loads back into `ensemble_skeleton(spec, n)`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.core import TunesmithError
from engine.modules.attempts.aggregation import majority
from engine.modules.saving import save_metadata
from engine.optimizers.ensemble import Ensemble
from engine.runs.export._files import run_spec, stored_run
from engine.runs.pipeline import build_program
from engine.runs.spec import ProjectSpec
from engine.runs.store import RunStore

SCORED_SUBSETS = ("val", "full")


def top_candidates(run_id: str, k: int = 5, db_path: str | Path | None = None) -> list[dict]:
    """The run's k best candidates by validation score: [{hash, score, origin, state}]."""
    with RunStore(db_path) as store:
        trials = store.trials(run_id)
        by_hash = {c["hash"]: c for c in store.candidates(run_id)}
    best: dict[str, tuple[float, int]] = {}
    for t in trials:
        if t["subset"] not in SCORED_SUBSETS or t["score"] is None:
            continue
        seen = best.get(t["candidate"])
        if seen is None or t["score"] > seen[0]:
            best[t["candidate"]] = (float(t["score"]), int(t["number"]))
    ranked = sorted(best.items(), key=lambda item: (-item[1][0], item[1][1]))
    return [
        {
            "hash": cand,
            "score": score,
            "origin": by_hash.get(cand, {}).get("origin", ""),
            "state": by_hash[cand]["state"],
        }
        for cand, (score, _) in ranked[: max(0, k)]
        if cand in by_hash
    ]


def ensemble_skeleton(
    spec: ProjectSpec, n: int, reduce_fn: Callable[..., Any] | None = None
) -> Any:
    """An ensemble of n untuned copies of the spec's pipeline (to load a saved state into)."""
    # members get their state loaded: none is calibrated here (no LM call)
    return Ensemble(reduce_fn=reduce_fn or majority, calibrate_choices=False).compile(
        [build_program(spec) for _ in range(n)]
    )


def build_run_ensemble(
    run_id: str,
    k: int = 5,
    db_path: str | Path | None = None,
    reduce_fn: Callable[..., Any] | None = None,
) -> Any:
    """An `EnsembledProgram` of the run's top-k candidates (`.members`: what they are)."""
    members = top_candidates(run_id, k, db_path)
    if not members:
        raise TunesmithError(f"run {run_id} has no candidate scored on validation examples yet")
    spec = run_spec(stored_run(run_id, db_path))
    program = ensemble_skeleton(spec, len(members), reduce_fn)
    for member, state in zip(program.programs, members):
        member.load_state(state["state"])
    program.members_info = [{k: m[k] for k in ("hash", "score", "origin")} for m in members]
    return program


def export_ensemble_json(run_id: str, k: int = 5, db_path: str | Path | None = None) -> str:
    """The ensemble's program JSON (DSPy's save() shape), ready for a file or a download."""
    program = build_run_ensemble(run_id, k, db_path)
    data = {**program.dump_state(), "metadata": {**save_metadata(), "ensemble": {
        "run": run_id, "members": program.members_info, "reduce": "majority vote",
    }}}  # fmt: skip
    return json.dumps(data, indent=2, ensure_ascii=False, default=str)
