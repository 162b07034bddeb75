"""Start a run's worker with this session's API key in its environment only.

`engine.runs.launch.launch_run` starts the worker with a copy of the server's environment; a
key typed into the dashboard must not go into that (shared) environment, nor into the spec,
the store or a log. So this starts the same detached worker command with one extra variable.
(Engine change proposed: `launch_run(..., extra_env=None)`; this file would then shrink to a
call.) With TUNESMITH_INLINE_WORKER=1 the worker runs in this process (tests), and the key is
set in the environment only for the duration of that call.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

from engine.runs import launch
from engine.runs.store import RunStore


def start(spec: Any, db_path: Path, key_env: dict[str, str] | None = None) -> str:
    """Validate and store the run, start its worker; returns the run id (SpecError if invalid)."""
    run_id = launch.create_run(spec, db_path)
    launch_worker(run_id, db_path, key_env)
    return run_id


def launch_worker(run_id: str, db_path: Path, key_env: dict[str, str] | None = None) -> None:
    """Start (or, for a failed run, resume) the run's worker."""
    key_env = {k: v for k, v in (key_env or {}).items() if v}
    if os.environ.get(launch.INLINE_ENV, "") not in ("", "0", "false", "False"):
        saved = {k: os.environ.get(k) for k in key_env}
        os.environ.update(key_env)
        try:
            launch.launch_run(run_id, db_path, inline=True)
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        return
    if not key_env:
        launch.launch_run(run_id, db_path, inline=False)
        return
    logs = db_path.parent / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log_path = logs / f"{run_id}.log"
    with RunStore(db_path) as store:
        store.update_run(run_id, log_path=str(log_path), cancel_requested=0)
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(  # noqa: S603  (fixed argv, no shell)
            launch.worker_command(run_id, db_path),
            start_new_session=True,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=str(Path(launch.__file__).resolve().parents[2]),
            env={**os.environ, "PYTHONUNBUFFERED": "1", **key_env},
        )
    launch._children[proc.pid] = proc  # reaped by launch.pid_alive like the engine's own children
    with RunStore(db_path) as store:
        store.update_run(run_id, pid=proc.pid)
