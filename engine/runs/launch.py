"""Start runs and tell whether their worker is alive.

`launch_run` starts `python -m engine.runs.supervisor RUN_ID` as a detached process (own
session, no stdin, output to `logs/<run id>.log` beside the store), so the run survives the
Streamlit server's reruns and restarts; the supervisor runs the worker and records a death by
signal (a native crash) that the worker cannot record itself. `TUNESMITH_INLINE_WORKER=1`
runs the worker in this process instead (tests). A worker that exited stays a zombie until its
parent reaps it, and a pid can be reused, so liveness = process exists and is not a zombie AND
the heartbeat is fresh.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from engine.errors import TunesmithError
from engine.runs.spec import ProjectSpec
from engine.runs.store import ACTIVE, RunStore
from engine.runs.store_schema import default_db_path

INLINE_ENV = "TUNESMITH_INLINE_WORKER"
STALE_AFTER = 20.0  # seconds without a heartbeat after which a worker counts as dead
START_GRACE = 30.0  # seconds a queued run may wait for its worker's first heartbeat

_children: dict[int, subprocess.Popen] = {}  # workers started by this process (reaped on checks)


def create_run(spec: ProjectSpec, db_path: str | Path | None = None) -> str:
    """Validate `spec` against its data (SpecError before any LM call); store a queued run."""
    from engine.runs.data import validate_spec_against_data

    report = validate_spec_against_data(spec)
    with RunStore(db_path) as store:
        return store.create_run(
            spec,
            optimizer=report.optimizer,
            optimizer_reason=report.optimizer_reason,
            sizes=report.sizes,
        )


def worker_command(
    run_id: str, db_path: str | Path | None = None, module: str = "engine.runs.worker"
) -> list[str]:
    """The argv that runs `module` (the worker, or its supervisor) on one stored run."""
    cmd = [sys.executable, "-m", module, run_id]
    return cmd + (["--db", str(Path(db_path).resolve())] if db_path is not None else [])


_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


def check_run_id(run_id: str) -> str:
    """A run id names a log file (`logs/<id>.log`): letters, digits, - and _ only, so it can
    never lead out of its folder; TunesmithError otherwise."""
    if not isinstance(run_id, str) or not _RUN_ID.fullmatch(run_id):
        raise TunesmithError(
            f"{run_id!r} is not a run id (ids look like 20261121-183501-3fa2c1); "
            "list them with `python -m engine runs`"
        )
    return run_id


def launch_run(
    run_id: str,
    db_path: str | Path | None = None,
    *,
    inline: bool | None = None,
    lm_factory: Any = None,
    extra_env: dict[str, str] | None = None,
) -> int | None:
    """Start the run's worker; returns its pid (None when run inline).

    Inline when `inline=True`, or when `inline` is None and TUNESMITH_INLINE_WORKER=1 (then
    this call blocks until the run ends; `lm_factory` is passed to the worker).
    `extra_env` (e.g. an API key typed into the dashboard) goes into the worker's environment
    only: the child process's, or, inline, this process's for the duration of the call. It
    is never written to the store or the log.
    """
    check_run_id(run_id)
    extra_env = {k: v for k, v in (extra_env or {}).items() if v}  # an empty key means "none"
    db_path = Path(db_path) if db_path is not None else default_db_path()
    if inline is None:
        inline = os.environ.get(INLINE_ENV, "") not in ("", "0", "false", "False")
    if inline:
        from engine.runs.worker import run_worker

        with _temporary_env(extra_env):
            run_worker(run_id, db_path, lm_factory=lm_factory)
        return None
    logs = db_path.parent / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log_path = logs / f"{run_id}.log"
    with RunStore(db_path) as store:
        store.update_run(run_id, log_path=str(log_path), cancel_requested=0)
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **extra_env}
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(  # noqa: S603  (fixed argv, no shell)
            worker_command(run_id, db_path, "engine.runs.supervisor"),
            start_new_session=True,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=str(Path(__file__).resolve().parents[2]),
            env=env,
        )
    _children[proc.pid] = proc
    with RunStore(db_path) as store:
        store.update_run(run_id, pid=proc.pid)
    return proc.pid


@contextmanager
def _temporary_env(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for the duration of a block, then restore them."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def pid_alive(pid: int | None) -> bool:
    """True if `pid` is a running (non-zombie) process. Reaps our own exited children."""
    if not pid or pid <= 0:
        return False
    child = _children.get(pid)
    if child is not None and child.poll() is not None:
        _children.pop(pid, None)
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        state = stat.rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except (OSError, IndexError):
        return True  # no /proc (macOS): trust kill(0)


def is_alive(run: dict[str, Any], now: float | None = None) -> bool:
    """Whether the run's worker is alive: process exists (not a zombie) and heartbeat is fresh."""
    now = time.time() if now is None else now
    if run.get("status") not in ACTIVE:
        return False
    beat = run.get("heartbeat")
    if beat is None:  # launched, not started yet
        started = run.get("created_at") or now
        return now - started < START_GRACE and (run.get("pid") is None or pid_alive(run.get("pid")))
    if not pid_alive(run.get("pid")):
        return False
    # a stale heartbeat from a process that is still this run's worker means a busy store or
    # machine, not a death: only a worker that is gone (or a pid now someone else's) is dead
    return now - beat < STALE_AFTER or is_worker_of(run.get("pid"), run.get("id"))


def is_worker_of(pid: int | None, run_id: str | None) -> bool:
    """True if `pid` is a Tunesmith worker (or its supervisor) started for `run_id`."""
    if not pid or not run_id:
        return False
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    modules = {b"engine.runs.worker", b"engine.runs.supervisor"}
    return run_id.encode() in argv and any(arg in modules for arg in argv)


def reconcile_run(run_id: str, db_path: str | Path | None = None) -> dict[str, Any] | None:
    """The run, after marking it failed if it claims to be active but its worker is dead.

    Call this when showing a run; a failed run can be started again (`launch_run`) to resume.
    """
    with RunStore(db_path) as store:
        run = store.get_run(run_id)
        if run is None or run["status"] not in ACTIVE or is_alive(run):
            return run
        if run["status"] == "queued" and run.get("pid") is None and run.get("heartbeat") is None:
            age = time.time() - (run.get("created_at") or 0)
            if age < START_GRACE:
                return run
            reason = "never started: no worker picked up this run (launch it again)"
        else:
            beat = run.get("heartbeat")
            silent = f"{time.time() - beat:.0f}s" if beat else "ever"
            reason = (
                f"worker stopped without finishing (pid {run.get('pid')} gone or "
                f"no heartbeat for {silent}); "
                "start the run again to resume from what is stored"
            )
        store.finish_run(run_id, "failed", reason=reason)
        return store.get_run(run_id)
