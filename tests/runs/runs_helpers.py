"""Helpers shared by the runs tests (kept out of conftest.py so they import unambiguously)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

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
    """(command, process): a detached `python -m engine.runs.process.worker` for the run, quiet."""
    import subprocess
    import sys

    cmd = [sys.executable, "-m", "engine.runs.process.worker", run_id, "--db", str(db_path)]
    process = subprocess.Popen(
        cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    return cmd, process


def assert_resumed_like_reference(
    store: Any, run_id: str, ref_trials: list[dict], ref_run: dict, call_log: Path
) -> None:
    """After kill -9 and one resume: the run finished on its second attempt with continuous
    trial numbers, no trial evaluated twice, the same trials, best and test score as the
    uninterrupted reference run, and every LM call the killed worker recorded still stored."""
    run = store.get_run(run_id)
    assert run["status"] == "finished" and run["attempts"] == 2
    trials = store.trials(run_id)
    assert [t["number"] for t in trials] == list(range(1, len(trials) + 1))
    keys = [(t["candidate"], t["subset"], tuple(sorted(t["example_scores"]))) for t in trials]
    assert len(keys) == len(set(keys)), "a trial was evaluated twice"
    assert [(t["candidate"], t["subset"], t["score"]) for t in trials] == [
        (t["candidate"], t["subset"], t["score"]) for t in ref_trials
    ]
    assert (run["best_candidate"], run["test_best"]) == (
        ref_run["best_candidate"],
        ref_run["test_best"],
    )
    calls = store.lm_calls(run_id)
    logged = len(call_log.read_text().splitlines())
    assert len([c for c in calls if not c["cache_hit"]]) >= logged > 0  # none lost


@contextmanager
def killed_then_resumed(
    run_id: str, db_path: Path, env: dict[str, str], ready: Any, what: str, settle: float = 0.1
) -> Iterator[Any]:
    """Start the run's worker, `kill -9` it once `ready(store)` holds (after `settle` s more),
    run the worker again to the end; yields the open store. The worker is never left behind."""
    import signal
    import subprocess
    import time

    from engine.runs import RunStore

    cmd, first = start_worker(run_id, db_path, env)
    store = RunStore(db_path)
    try:
        wait_for(lambda: ready(store), 120, what, 0.02)
        time.sleep(settle)
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
        assert store.get_run(run_id)["status"] == "running"
        second = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
        assert second.returncode == 0, second.stdout + second.stderr
        yield store
    finally:
        store.close()
        if first.poll() is None:
            first.kill()


def bootstrap_through_worker(
    spec: dict[str, Any], project: Path, db_path: Path, lm_factory: Any
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Run `spec` (6/6/6 rows) with BootstrapFewShot making demos only from traces, through the
    worker; returns the finished run and its example results."""
    from engine.runs import create_run
    from engine.runs.process.worker import run_worker
    from engine.runs.spec._spec import spec_from_dict
    from engine.runs.store._store import RunStore

    spec["data"].update(train_size=6, val_size=6, test_size=6)
    params = {"max_bootstrapped_demos": 2, "max_labeled_demos": 0}  # demos only from traces
    spec["optimizer"] = {"name": "BootstrapFewShot", "params": params}
    run_id = create_run(spec_from_dict(spec, base_dir=project), db_path)
    assert run_worker(run_id, db_path, lm_factory=lm_factory) == "finished"
    with RunStore(db_path) as store:
        return store.get_run(run_id), store.example_results(run_id)
