"""What an optimizer's view on the Run page gets: the run and its events of the view's type.
The Run page draws, for each event type a registered optimizer declares with a view, the
run's events of that type (`engine.optimizers.registry.EventKind`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


def optimizer_views(
    run_id: str,
    run: dict[str, Any],
    candidates: list[dict[str, Any]],
    trials: list[dict[str, Any]],
    db: Path,
) -> None:
    """Every registered view whose event type the run emitted, in registry order."""
    for kind in registry.event_kinds().values():
        if kind.view is None:
            continue
        found = stored_events(run_id, types=[kind.type], db_path=db)
        if found:
            view = RunView(run_id, run, found, candidates, trials, db)
            registry.load_view(kind.view)(view)
