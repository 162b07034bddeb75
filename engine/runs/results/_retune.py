"""Tuning a run's task again on another model ("optimize on a cheap model, deploy on a strong
one", and back): the run's spec with the task model changed and a share of its budget
(`retune_spec`), and the link between the two runs kept on the first as a "retune" event
(`note_retune`, read back by `retunes`). Creating and starting the new run is the caller's (the
CLI runs it in process, the dashboard starts a worker)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from engine.lm.model_check import check_model
from engine.runs.export import run_spec, stored_run
from engine.runs.spec import ProjectSpec
from engine.runs.store import RunStore

RETUNE = "retune"
TUNED = ("finished", "stopped: budget")  # a run's ends that hand back a tuned program
_SCALED = ("max_calls", "max_tokens", "max_cost", "max_minutes")


def on_model(spec: ProjectSpec, model: str, api_base: str | None) -> ProjectSpec:
    """`spec` with its task model changed (`api_base` only for a model that is not embedded)."""
    task = spec.models.task.model_copy(
        update={"model": model, "api_base": None if model.startswith("local/") else api_base}
    )
    return spec.model_copy(update={"models": spec.models.model_copy(update={"task": task})})


def retune_spec(run_id: str, model: str, *, api_base: str | None = None, share: float = 0.5,
                db_path: str | Path | None = None,
                api_key: str | None = None) -> ProjectSpec:  # fmt: skip
    """The run's spec on `model`, with `share` (above 0, at most 1) of each of its budget's
    limits; a limit the run did not have stays unset. A model that cannot be used (no key, an
    unknown provider, a server that does not answer) raises here, before any run is stored."""
    if not 0 < share <= 1:
        raise ValueError(f"the budget share must be above 0 and at most 1, not {share!r}")
    spec = on_model(run_spec(stored_run(run_id, db_path)), model, api_base)
    task = spec.models.task
    check_model(task.model, api_base=task.api_base, api_key=api_key)
    budget = spec.optimizer.budget
    scaled = {k: _share(getattr(budget, k), share) for k in _SCALED if getattr(budget, k)}
    optimizer = spec.optimizer.model_copy(update={"budget": budget.model_copy(update=scaled)})
    words = f"Tuned again on {model} from run {run_id}, with {share:.0%} of its budget."
    return spec.model_copy(update={"optimizer": optimizer, "description": words})


def _share(limit: Any, share: float) -> Any:
    return max(1, math.ceil(limit * share)) if isinstance(limit, int) else limit * share


def note_retune(run_id: str, model: str, new_run: str, share: float,
                db_path: str | Path | None = None) -> None:  # fmt: skip
    """Keep on run `run_id` that `new_run` tunes its task again on `model`."""
    with RunStore(db_path) as store:
        store.append_event(run_id, RETUNE, {"model": model, "run": new_run, "share": share})


def retunes(run_id: str, db_path: str | Path | None = None) -> list[dict[str, Any]]:
    """The runs started from this one on other models, oldest first: model, run, share, time,
    and the new run's status (`tuned`: it handed back a program) and held-out score now."""
    with RunStore(db_path) as store:
        noted = store.events(run_id, types=[RETUNE])
        out = []
        for event in noted:
            data = event.get("data") or {}
            run = store.get_run(str(data.get("run"))) or {}
            status = run.get("status")
            now = {"status": status, "tuned": status in TUNED, "test_best": run.get("test_best")}
            out.append({**data, "time": event.get("time"), **now})
    return out
