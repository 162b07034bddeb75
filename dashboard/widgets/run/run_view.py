"""What an optimizer's view on the Run page gets: the run and its events of the view's type.
`VIEWS` maps an event type to the function that draws it; the Run page draws, for each event
type a registered optimizer declares (`engine.optimizers.registry.EventKind`, in registry order)
with a view here, the run's events of that type. A plugin adds its own:
`VIEWS["its_event"] = its_view`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dashboard.widgets.run.lineage_view import reflection_run_view
from dashboard.widgets.run.proposals_view import proposals_run_view
from dashboard.widgets.run.simba_steps import simba_step_run_view
from dashboard.widgets.run.training_view import training_run_view
from engine.optimizers import registry
from engine.runs import events as stored_events


@dataclass(frozen=True)
class RunView:
    """One run as an optimizer's view sees it; `events` are the run's events of its type."""

    run_id: str
    run: dict[str, Any]
    events: list[dict[str, Any]]
    candidates: list[dict[str, Any]]
    trials: list[dict[str, Any]]
    db: Path


VIEWS: dict[str, Callable[[RunView], None]] = {
    "reflection": reflection_run_view,
    "proposals": proposals_run_view,
    "simba_step": simba_step_run_view,
    "training_step": training_run_view,
}


def optimizer_views(
    run_id: str,
    run: dict[str, Any],
    candidates: list[dict[str, Any]],
    trials: list[dict[str, Any]],
    db: Path,
) -> None:
    """Every view whose event type the run emitted, in registry order."""
    for kind in registry.event_kinds().values():
        view = VIEWS.get(kind.type)
        found = stored_events(run_id, types=[kind.type], db_path=db) if view else None
        if found:
            view(RunView(run_id, run, found, candidates, trials, db))
