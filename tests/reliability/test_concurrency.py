"""Concurrency on one store: two runs at once (worker processes, scripted LM), the dashboard's
reads polling while a worker writes at full speed, five AppTest sessions on one store.
No "database is locked", no lost rows."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from reliability_log import observe

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data"
RUNS_TESTS = ROOT / "tests" / "runs"


def _spec(tmp_path: Path, optimizer: str = "BootstrapFewShot"):
    from engine.runs.spec._spec import load_spec

    folder = tmp_path / "project"
    folder.mkdir(exist_ok=True)
    for name in ("support_tickets.csv", "support_tickets.yaml"):
        shutil.copy(SAMPLE / name, folder / name)
    spec = load_spec(folder / "support_tickets.yaml")
    spec.optimizer.name = optimizer
    spec.data.train_size, spec.data.val_size, spec.data.test_size = 10, 10, 10
    return spec


def _worker(run_id: str, db: Path) -> subprocess.Popen[bytes]:
    import os

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(RUNS_TESTS), str(ROOT), env.get("PYTHONPATH", "")])
    env["TUNESMITH_TEST_LM"] = "scripted_lms:oracle_lm"
    return subprocess.Popen(
        [sys.executable, "-m", "engine.runs.process.worker", run_id, "--db", str(db)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip


def test_two_runs_at_once_and_reads_polling(tmp_path: Path) -> None:
    """Two worker processes write one store while this process polls it like the dashboard."""
    from engine.runs.process._launch import create_run
    from engine.runs.store._store import RunStore

    db = tmp_path / "store" / "runs.db"
    spec = _spec(tmp_path)
    ids = [create_run(spec, db) for _ in range(2)]
    procs = [_worker(run_id, db) for run_id in ids]
    reads, errors = 0, []
    scenario = "2 worker processes + polling reader, one store"
    with observe("concurrency", scenario=scenario) as seen:
        while any(p.poll() is None for p in procs):
            try:
                with RunStore(db) as store:  # fresh connection per poll, as the dashboard does
                    for run_id in ids:
                        store.get_run(run_id), store.trials(run_id), store.usage(run_id)
                        store.events(run_id, after_seq=0)
                reads += 1
            except Exception as exc:  # noqa: BLE001  (collected, asserted below)
                errors.append(repr(exc))
        outputs = [p.stdout.read().decode(errors="replace") if p.stdout else "" for p in procs]
        with RunStore(db) as store:
            runs = [store.get_run(run_id) for run_id in ids]
            trials = [store.trials(run_id) for run_id in ids]
            gaps = 0  # trial numbers missing inside each run's range
            for ts in trials:
                numbers = sorted(t["number"] for t in ts)
                gaps += (numbers[-1] - numbers[0] + 1 - len(set(numbers))) if numbers else 0
            unledgered = [len(store.lm_calls(i)) - store.usage(i)["calls"] for i in ids]
        locked = sum("locked" in text for text in [*outputs, *errors])
        seen.note(writes=sum(len(t) for t in trials), reads=reads,
                  lost=gaps + sum(abs(n) for n in unledgered), locked_errors=locked)  # fmt: skip
        assert all(p.returncode == 0 for p in procs), outputs
        assert not errors, errors[:3]
        assert not locked, outputs
        assert [r["status"] for r in runs] == ["finished", "finished"], [r["reason"] for r in runs]
        assert trials[0] and len(trials[0]) == len(trials[1])  # same spec, same seed
        assert gaps == 0 and unledgered == [0, 0], (gaps, unledgered)


def test_reads_while_a_writer_writes_at_full_speed(tmp_path: Path) -> None:
    """A writer thread records LM calls as fast as it can; readers poll with fresh connections."""
    from engine.runs.process._launch import create_run
    from engine.runs.store._store import RunStore

    db = tmp_path / "runs.db"
    run_id = create_run(_spec(tmp_path), db)
    n, errors, reads = 1500, [], [0]
    done = threading.Event()

    class Call:
        model, role, prompt_tokens, completion_tokens, cost = "scripted/x", "task", 10, 2, 0.0
        latency, cache_hit, error, timestamp = 0.001, False, None, time.time()

    def write() -> None:
        try:
            with RunStore(db) as store:
                for _ in range(n):
                    store.record_call(run_id, Call())
        except Exception as exc:  # noqa: BLE001
            errors.append(repr(exc))
        finally:
            done.set()

    def read() -> None:
        while not done.is_set():
            try:
                with RunStore(db) as store:
                    store.usage(run_id), store.get_run(run_id), store.lm_calls(run_id)
                reads[0] += 1
            except Exception as exc:  # noqa: BLE001
                errors.append(repr(exc))

    threads = [threading.Thread(target=write)] + [threading.Thread(target=read) for _ in range(3)]
    for t in threads:
        t.start()
    scenario = "writer at full speed + 3 polling readers (threads)"
    with observe("concurrency", scenario=scenario) as seen:
        for t in threads:
            t.join(timeout=120)
        with RunStore(db) as store:
            stored = store.usage(run_id)["calls"]
        seen.note(writes=n, reads=reads[0], lost=n - stored,
                  locked_errors=sum("locked" in e for e in errors))  # fmt: skip
        assert not errors, errors[:3]
        assert stored == n
        assert reads[0] > 0


def test_five_dashboard_sessions_on_one_store(home: Path, tmp_path: Path) -> None:
    """Five AppTest sessions start runs (inline worker, scripted LM) on one store, then each
    reads every run on the Runs page."""
    import streamlit as st
    from apphelpers import APP, go, open_sample, set_sizes
    from streamlit.testing.v1 import AppTest

    from engine.runs.store._store import RunStore

    st.cache_resource.clear()
    st.cache_data.clear()
    sessions, ids = [], []
    with observe("concurrency", scenario="5 dashboard sessions (AppTest), one store") as seen:
        for _ in range(5):
            at = AppTest.from_file(str(APP), default_timeout=90)
            at.run()
            at = set_sizes(open_sample(at), 6, 6, 6)
            go(at, "optimize")
            at.button(key="start_run").click().run()
            assert not at.exception, at.exception
            run = at.query_params["run"]
            ids.append(run[0] if isinstance(run, list) else run)
            sessions.append(at)
        for at in sessions:
            go(at, "runs")
            assert not at.exception, at.exception
        db = home / "tunesmith_data" / "runs.db"
        with RunStore(db) as store:
            runs = [store.get_run(run_id) for run_id in ids]
            calls = sum(store.usage(run_id)["calls"] for run_id in ids)
        locked = sum("locked" in str(at.exception) for at in sessions)
        seen.note(writes=calls, reads=len(sessions), locked_errors=locked)
        assert len(set(ids)) == 5 and all(r["status"] == "finished" for r in runs), runs
