"""Helpers shared by the runs tests (kept out of conftest.py so they import unambiguously)."""

from __future__ import annotations

import os
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SAMPLE = ROOT / "sample_data"
BANKING77 = ROOT.parent / "shared" / "benchmarks" / "banking77"


def subprocess_env(**extra: str) -> dict[str, str]:
    """Environment for `python -m ...` children: project + test helpers importable, extras set."""
    env = dict(os.environ)
    paths = [str(HERE), str(ROOT), env.get("PYTHONPATH", "")]
    env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    env.update(extra)
    return env


def wait_for(predicate, timeout: float, what: str, interval: float = 0.05) -> None:
    """Poll `predicate` until it is true; AssertionError naming `what` after `timeout` s."""
    import time

    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def start_worker(run_id: str, db_path: Path, env: dict[str, str]):
    """(command, process): a detached `python -m engine.runs.worker` for the run, quiet."""
    import subprocess
    import sys

    cmd = [sys.executable, "-m", "engine.runs.worker", run_id, "--db", str(db_path)]
    process = subprocess.Popen(
        cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    return cmd, process
