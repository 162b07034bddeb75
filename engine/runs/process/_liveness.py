"""How a run's worker is started (`worker_command`) and whether it is alive: its process
exists (not a zombie) and its heartbeat is fresh. A run that claims to be active with a dead
worker is marked failed when shown (`reconcile_run`)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from engine.runs.store import ACTIVE, STORE_ENV, RunStore, StoreAt, is_url, local_dir

STALE_AFTER = 20.0  # seconds without a heartbeat after which a worker counts as dead
START_GRACE = 30.0  # seconds a queued run may wait for its worker's first heartbeat

_children: dict[int, subprocess.Popen] = {}  # workers started by this process (reaped on checks)


def worker_command(
    run_id: str, db_path: str | Path | None = None, module: str = "engine.runs.process.worker"
) -> list[str]:
    """The argv that runs `module` (the worker, or its supervisor) on one stored run. A
    PostgreSQL store is not named here (its URL may hold a password, and argv is public):
    the child reads it from $TUNESMITH_STORE, which `launch_run` sets."""
    cmd = [sys.executable, "-m", module, run_id]
    if db_path is None or is_url(db_path):
        return cmd
    return cmd + ["--db", str(Path(db_path).resolve())]


def start_supervisor(run_id: str, store_at: StoreAt, env: dict[str, str]) -> subprocess.Popen:
    """Start the run's supervisor detached (own session, no stdin, output to `logs/<run id>.log`
    beside the store) with `env` added to this environment; its pid and host go to the store."""
    log_path = local_dir(store_at) / "logs" / f"{run_id}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with RunStore(store_at) as store:
        store.update_run(run_id, log_path=str(log_path), cancel_requested=0)
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **env}
    if is_url(store_at):  # the worker finds the store here, not in its argv
        env[STORE_ENV] = str(store_at)
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(  # noqa: S603  (fixed argv, no shell)
            worker_command(run_id, store_at, "engine.runs.process.supervisor"),
            start_new_session=True, stdin=subprocess.DEVNULL, stdout=log,
            stderr=subprocess.STDOUT, cwd=str(Path(__file__).resolve().parents[3]), env=env,
        )  # fmt: skip
    _children[proc.pid] = proc  # reaped by `pid_alive` once it exits
    with RunStore(store_at) as store:
        store.update_run(run_id, pid=proc.pid, host=socket.gethostname())
    return proc


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
    elsewhere = bool(run.get("host")) and run.get("host") != socket.gethostname()
    if beat is None:  # launched, not started yet
        started = run.get("created_at") or now
        return now - started < START_GRACE and (
            elsewhere or run.get("pid") is None or pid_alive(run.get("pid"))
        )
    if elsewhere:  # a worker on another machine (a shared store): its heartbeat tells
        return now - beat < STALE_AFTER
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
    modules = {b"engine.runs.process.worker", b"engine.runs.process.supervisor"}
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
