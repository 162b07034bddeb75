"""Start a run's worker with this session's API key in the worker's environment only.

A key typed into the dashboard must not go into the server's (shared) environment, the spec,
the store or a log: `engine.runs.launch_run(..., extra_env=...)` hands it to the
worker process alone (inline runs in tests: for the duration of that call only).
"""

from __future__ import annotations

from typing import Any

from engine.runs import create_run, launch_run


def start(spec: Any, db_path: Any, key_env: dict[str, str] | None = None) -> str:
    """Validate and store the run, start its worker; returns the run id (SpecError if invalid)."""
    run_id = create_run(spec, db_path)
    launch_worker(run_id, db_path, key_env)
    return run_id


def launch_worker(run_id: str, db_path: Any, key_env: dict[str, str] | None = None) -> None:
    """Start (or, for a failed run, resume) the run's worker."""
    launch_run(run_id, db_path, extra_env=key_env)
