"""Crash matrix: the worker is killed with SIGKILL in each phase of each optimizer, then started
again. The resumed run must number its trials continuously, evaluate no (candidate, example)
pair twice, lose none of the LM calls it recorded, lose at most the trial in flight and end
exactly as an uninterrupted run with the same seed and cache. Plus: a kill inside a store
write transaction, and two workers started for one run."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
if str(HERE.parent / "runs") not in sys.path:
    sys.path.insert(0, str(HERE.parent / "runs"))

from crash_lms import crash_lm  # noqa: E402
from reliability_log import observe  # noqa: E402

from engine.optimizers import registry  # noqa: E402
from engine.runs import RunStore, create_run, load_spec  # noqa: E402
from engine.runs.process.worker import run_worker  # noqa: E402

BASELINE, TEST = ("baseline", "baseline", 3), ("final test", "test", 3)
# optimizer -> [(phase label, CRASH_PHASE "name|detail", LM calls stored in it before the kill)]
MATRIX: dict[str, list[tuple[str, str, int]]] = {
    "BootstrapFewShot": [BASELINE, ("bootstrapping", "bootstrapping demos", 1),
                         ("searching", "evaluating candidates", 3), TEST],
    # a hosted-like LM: each candidate is bootstrapped while the one before it is scored
    "BootstrapFewShotWithRandomSearch": [
        BASELINE, ("bootstrapping ahead", "evaluating candidates|candidate 2", 2),
        ("searching", "evaluating candidates|candidate 4", 3), TEST],
    "MIPROv2": [BASELINE, ("bootstrapping", "bootstrapping demos", 1),
                ("proposing", "proposing instructions", 1), ("searching", "searching|trial 2", 2),
                TEST],
    "COPRO": [BASELINE, ("proposing", "proposing instructions|round 2", 1),
              ("searching", "searching|round 1", 3), TEST],
    "GEPA": [BASELINE, ("searching", "reflective search|iteration 3", 2), TEST],
}  # fmt: skip
CELLS = [(opt, *cell) for opt, cells in MATRIX.items() for cell in cells]
SLOW = {"MIPROv2"}  # Optuna's import and study make these cells the slowest


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    paths = [str(HERE), str(HERE.parent / "runs"), str(ROOT), env.get("PYTHONPATH", "")]
    env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    env.update({"TUNESMITH_TEST_LM": "crash_lms:crash_lm", "TUNESMITH_TEST_LATENCY": "0.02"})
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("crash_project")
    for name in ("support_tickets.csv", "support_tickets.yaml"):
        shutil.copy(ROOT / "sample_data" / name, folder / name)
    return folder


def _spec(project: Path, optimizer: str) -> Any:
    spec = load_spec(project / "support_tickets.yaml")
    spec.data.train_size, spec.data.val_size, spec.data.test_size = 8, 8, 6
    spec.optimizer.name = optimizer
    spec.optimizer.params = dict(registry.get(optimizer).smoke_params)
    spec.optimizer.budget.max_calls = None
    return spec


_REFERENCES: dict[str, dict[str, Any]] = {}


def _reference(project: Path, optimizer: str, folder: Path) -> dict[str, Any]:
    """An uninterrupted run of the same spec (in this process, its own store and cache)."""
    if optimizer not in _REFERENCES:
        saved = {k: os.environ.get(k) for k in ("TUNESMITH_CACHE_DIR", "TUNESMITH_TEST_LATENCY")}
        os.environ.update(TUNESMITH_CACHE_DIR=str(folder / "cache"), TUNESMITH_TEST_LATENCY="0")
        try:
            db = folder / "runs.db"
            run_id = create_run(_spec(project, optimizer), db)
            assert run_worker(run_id, db, lm_factory=crash_lm) == "finished"
        finally:
            for key, value in saved.items():
                os.environ.pop(key, None) if value is None else os.environ.update({key: value})
        with RunStore(db) as store:
            calls = store.lm_calls(run_id)
            _REFERENCES[optimizer] = {
                "run": store.get_run(run_id), "trials": _trial_keys(store.trials(run_id)),
                "uncached": sum(1 for c in calls if not c["cache_hit"]),
            }  # fmt: skip
    return _REFERENCES[optimizer]


def _trial_keys(trials: list[dict]) -> list[tuple]:
    return [(t["number"], t["candidate"], t["subset"], t["score"]) for t in trials]


def _worker(run_id: str, db: Path, env: dict[str, str], module: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", module, run_id, "--db", str(db)]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=240, cwd=ROOT)


def _check_resumed(store: RunStore, run_id: str, before: list[tuple], ref: dict, log: Path) -> int:
    """The checks every crash point must pass; returns the calls replayed from the cache."""
    run = store.get_run(run_id)
    assert run["status"] == "finished" and run["attempts"] == 2, run["reason"]
    trials = store.trials(run_id)
    assert [t["number"] for t in trials] == list(range(1, len(trials) + 1))
    pairs = [(t["candidate"], t["subset"], tuple(sorted(t["example_scores"]))) for t in trials]
    assert len(pairs) == len(set(pairs)), "a trial was evaluated twice"
    keys = _trial_keys(trials)
    assert keys[: len(before)] == before, "a trial stored before the kill was lost or redone"
    assert keys == ref["trials"], "the resumed run differs from an uninterrupted one"
    for column in ("best_candidate", "best_score", "test_best", "test_baseline", "program"):
        assert run[column] == ref["run"][column], column
    calls = store.lm_calls(run_id)
    uncached = [c for c in calls if not c["cache_hit"]]
    logged = len(log.read_text().splitlines()) if log.exists() else 0
    assert len(uncached) >= logged, "an LM call recorded before the kill is missing"
    # no call paid twice: the calls made before the kill come back from the cache
    assert len(uncached) <= ref["uncached"], (len(uncached), ref["uncached"])
    return sum(1 for c in calls if c["attempt"] == 2 and c["cache_hit"])


@pytest.mark.parametrize(
    ("optimizer", "phase", "crash_at", "after"),
    [pytest.param(*cell, marks=[pytest.mark.slow] if cell[0] in SLOW else [],
                  id=f"{cell[0]}-{cell[1]}") for cell in CELLS],
)  # fmt: skip
def test_kill_9_in_each_phase_then_resume(
    project, tmp_path, optimizer: str, phase: str, crash_at: str, after: int
) -> None:
    ref = _reference(project, optimizer, tmp_path / "reference")
    db = tmp_path / "store" / "runs.db"
    run_id = create_run(_spec(project, optimizer), db)
    log = tmp_path / "calls.log"
    env = _env(TUNESMITH_TEST_CALL_LOG=str(log), TUNESMITH_CACHE_DIR=str(tmp_path / "cache"))
    with observe("crash", optimizer=optimizer, phase=phase) as seen:
        first = _worker(run_id, db, {**env, "CRASH_PHASE": crash_at,
                                     "CRASH_AFTER_CALLS": str(after)}, "crash_worker")  # fmt: skip
        assert first.returncode == -signal.SIGKILL, first.stderr[-2000:]
        with RunStore(db) as store:
            phases = [e["data"] for e in store.events(run_id, types=["phase"])]
            name, _, detail = crash_at.partition("|")
            assert phases[-1]["name"] == name and detail in phases[-1]["detail"], phases[-1]
            assert store.get_run(run_id)["status"] == "running"
            before = _trial_keys(store.trials(run_id))
            seen.note(trials_before=len(before))
            second = _worker(run_id, db, env, "engine.runs.process.worker")
            assert second.returncode == 0, second.stderr[-2000:]
            seen.note(replayed_from_cache=_check_resumed(store, run_id, before, ref, log))


def test_kill_9_inside_a_store_write_then_resume(project, tmp_path) -> None:
    optimizer = "BootstrapFewShotWithRandomSearch"
    ref = _reference(project, optimizer, tmp_path / "reference")
    db = tmp_path / "store" / "runs.db"
    run_id = create_run(_spec(project, optimizer), db)
    log, marker = tmp_path / "calls.log", tmp_path / "paused"
    env = _env(TUNESMITH_TEST_CALL_LOG=str(log), TUNESMITH_CACHE_DIR=str(tmp_path / "cache"))
    cmd = [sys.executable, "-m", "crash_worker", run_id, "--db", str(db)]
    with observe("crash", optimizer=optimizer, phase="store write") as seen:
        first = subprocess.Popen(
            cmd, env={**env, "CRASH_PAUSE_WRITE": str(marker), "CRASH_AFTER_TRIALS": "3"},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT,
        )  # fmt: skip
        try:
            deadline = time.time() + 120
            while not marker.exists() and time.time() < deadline and first.poll() is None:
                time.sleep(0.02)
            assert marker.exists(), "the worker never reached the third trial's write"
            os.kill(first.pid, signal.SIGKILL)  # mid-transaction: trial 3's rows, no commit
            first.wait(timeout=30)
        finally:
            if first.poll() is None:
                first.kill()
        with RunStore(db) as store:
            assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            before = _trial_keys(store.trials(run_id))
            seen.note(trials_before=len(before))
            assert [k[0] for k in before] == [1, 2], "the open transaction was rolled back"
            second = _worker(run_id, db, env, "engine.runs.process.worker")
            assert second.returncode == 0, second.stderr[-2000:]
            seen.note(replayed_from_cache=_check_resumed(store, run_id, before, ref, log))


def test_a_second_worker_for_the_same_run_refuses_naming_the_first(project, tmp_path) -> None:
    db = tmp_path / "store" / "runs.db"
    run_id = create_run(_spec(project, "BootstrapFewShotWithRandomSearch"), db)
    env = _env(TUNESMITH_TEST_LATENCY="0.3", TUNESMITH_CACHE_DIR=str(tmp_path / "cache"))
    cmd = [sys.executable, "-m", "engine.runs.process.worker", run_id, "--db", str(db)]
    first = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with observe("crash", optimizer="any", phase="second worker"), RunStore(db) as store:
            deadline = time.time() + 60
            while time.time() < deadline and store.get_run(run_id)["status"] != "running":
                time.sleep(0.05)
            assert store.get_run(run_id)["pid"] == first.pid
            second = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
            assert second.returncode == 2 and "Traceback" not in second.stderr
            assert f"already running (pid {first.pid})" in second.stderr
            run = store.get_run(run_id)
            assert run["pid"] == first.pid and run["attempts"] == 1 and first.poll() is None
    finally:
        first.kill()
        first.wait()


def test_two_workers_started_at_once_exactly_one_runs(project, tmp_path) -> None:
    db = tmp_path / "store" / "runs.db"
    run_id = create_run(_spec(project, "BootstrapFewShotWithRandomSearch"), db)
    env = _env(TUNESMITH_TEST_LATENCY="0.3", TUNESMITH_CACHE_DIR=str(tmp_path / "cache"))
    cmd = [sys.executable, "-m", "engine.runs.process.worker", run_id, "--db", str(db)]
    workers = [subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                text=True) for _ in range(2)]  # fmt: skip
    try:
        with observe("crash", optimizer="any", phase="two workers at once") as seen:
            deadline = time.time() + 60
            while time.time() < deadline and all(w.poll() is None for w in workers):
                time.sleep(0.05)
            refused = [w for w in workers if w.poll() is not None]
            seen.note(refused=len(refused))
            assert len(refused) == 1 and refused[0].returncode == 2
            winner = next(w for w in workers if w is not refused[0])
            assert f"already running (pid {winner.pid})" in refused[0].stderr.read()
            with RunStore(db) as store:
                assert store.get_run(run_id)["attempts"] == 1
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
            w.wait()
