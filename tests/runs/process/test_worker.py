"""The worker: a full run, cancel, budget stop, liveness, and resume after kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from runs_helpers import start_worker, subprocess_env, wait_for
from scripted_lms import oracle_lm

from engine.core._errors import TunesmithError
from engine.lm import ScriptedLM
from engine.runs import RunStore, create_run, load_spec
from engine.runs.process._launch import launch_run
from engine.runs.process._liveness import is_alive, pid_alive, reconcile_run
from engine.runs.process.worker import run_worker


def _finished_run(db_path: Path, spec, factory=oracle_lm) -> tuple[str, RunStore]:
    run_id = create_run(spec, db_path)
    assert run_worker(run_id, db_path, lm_factory=factory) == "finished"
    return run_id, RunStore(db_path)


def test_full_run_with_scripted_lm(db_path: Path, tickets_spec) -> None:
    lm_holder: list[ScriptedLM] = []

    def factory(spec):
        lm_holder.append(oracle_lm(spec))
        return lm_holder[0]

    run_id, store = _finished_run(db_path, tickets_spec, factory)
    with store:
        run = store.get_run(run_id)
        assert run["status"] == "finished" and run["reason"] is None and run["attempts"] == 1
        assert (
            run["optimizer"] == "BootstrapFewShotWithRandomSearch"
            and "20 training" in run["optimizer_reason"]
        )
        assert run["baseline_score"] < run["best_score"] == 1.0
        assert run["test_baseline"] < run["test_best"] == 1.0
        comp = run["comparison"]
        assert (
            comp["significant"]
            and comp["ci_low"] > 0
            and comp["n"] == 20
            and comp["p_value"] < 0.01
        )
        assert run["program"]["classify"]["demos"], "the best program has demos"
        trials = store.trials(run_id)
        assert [t["number"] for t in trials] == list(range(1, len(trials) + 1))
        assert [t["subset"] for t in trials[-2:]] == ["test", "test"]
        assert trials[-2]["candidate"] == run["baseline_candidate"] == comp["baseline_candidate"]
        assert trials[-1]["candidate"] == comp["best_candidate"]
        types = [e["type"] for e in store.events(run_id)]
        assert (
            types[0] == "run_started"
            and "run_finished" in types
            and types.count("trial") == len(trials)
        )
        assert "best_changed" in types and "lm_usage" in types and "candidate" in types
        # every LM call is in the store, as it happened
        calls = store.lm_calls(run_id)
        assert (
            len(calls)
            == lm_holder[0].calls_made
            == store.usage(run_id)["calls"]
            == run["usage"]["calls"]
        )
        results = store.example_results(run_id, candidate=comp["best_candidate"], subset="test")
        assert len(results) == 20 and all(r["score"] == 1.0 for r in results)
        assert (
            store.candidates(run_id)[0]["state"]["classify"]["demos"] == []
        )  # the zero-shot baseline


def test_a_finished_run_is_not_run_again(db_path: Path, tickets_spec) -> None:
    run_id, store = _finished_run(db_path, tickets_spec)
    with store:
        n = len(store.lm_calls(run_id))
        assert run_worker(run_id, db_path, lm_factory=oracle_lm) == "finished"
        assert len(store.lm_calls(run_id)) == n and store.get_run(run_id)["attempts"] == 1


def test_cancel_between_trials(db_path: Path, tickets_spec) -> None:
    run_id = create_run(tickets_spec, db_path)
    store = RunStore(db_path)

    def cancel_after_third_trial(event) -> None:
        if event.type == "trial" and event.data["number"] == 3:
            store.request_cancel(run_id)

    from engine.runs.process.worker import run_worker as worker

    status = worker(run_id, db_path, lm_factory=oracle_lm, sinks=[cancel_after_third_trial])
    assert status == "cancelled"
    run = store.get_run(run_id)
    assert run["status"] == "cancelled" and run["test_best"] is None
    assert len(store.trials(run_id)) == 3
    assert run["program"] is not None  # the best program so far is kept
    store.close()


def test_budget_stops_cleanly_and_still_scores_on_test(db_path: Path, tickets_spec) -> None:
    tickets_spec.optimizer.budget.max_calls = 60
    # the oracle is perfect with demos: racing would end the search before the cap
    tickets_spec.optimizer.params = {"race": False}
    run_id = create_run(tickets_spec, db_path)
    assert run_worker(run_id, db_path, lm_factory=oracle_lm) == "stopped: budget"
    with RunStore(db_path) as store:
        run = store.get_run(run_id)
        assert "max_calls=60" in run["reason"]
        test_calls = sum(t["usage"]["uncached_calls"] for t in store.trials(run_id, subset="test"))
        assert store.usage(run_id)["uncached_calls"] - test_calls <= 60
        assert run["test_best"] is not None and run["comparison"]["n"] == 20


def test_inline_switch_and_lm_failure_is_recorded(db_path: Path, tickets_spec, monkeypatch) -> None:
    monkeypatch.setenv("TUNESMITH_INLINE_WORKER", "1")

    def broken(spec):
        raise RuntimeError("boom: cannot build the LM")

    run_id = create_run(tickets_spec, db_path)
    assert launch_run(run_id, db_path, lm_factory=broken) is None
    with RunStore(db_path) as store:
        run = store.get_run(run_id)
    assert run["status"] == "failed" and run["reason"] == "RuntimeError: boom: cannot build the LM"
    assert "Traceback" in run["traceback"]


def test_liveness_zombie_stale_heartbeat_and_reconcile(db_path: Path, tickets_spec) -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.time() + 10
    while (
        time.time() < deadline
        and Path(f"/proc/{child.pid}/stat").exists()
        and Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    ):
        time.sleep(0.05)
    assert not pid_alive(child.pid), "a zombie counts as dead"
    child.wait()
    assert pid_alive(os.getpid())
    now = time.time()
    run = {"status": "running", "pid": os.getpid(), "heartbeat": now - 1}
    assert is_alive(run, now)
    assert not is_alive({**run, "heartbeat": now - 600}, now), "a stale heartbeat counts as dead"
    assert not is_alive({**run, "status": "finished"}, now)
    run_id = create_run(tickets_spec, db_path)
    with RunStore(db_path) as store:
        store.update_run(run_id, status="running", pid=child.pid, heartbeat=now - 600)
        assert is_alive(store.get_run(run_id)) is False
    fixed = reconcile_run(run_id, db_path)
    assert fixed["status"] == "failed" and "start the run again to resume" in fixed["reason"]


def test_refuses_to_run_twice(db_path: Path, tickets_spec) -> None:
    run_id = create_run(tickets_spec, db_path)
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        with RunStore(db_path) as store:
            store.update_run(run_id, status="running", pid=sleeper.pid, heartbeat=time.time())
        with pytest.raises(TunesmithError, match="already running"):
            run_worker(run_id, db_path, lm_factory=oracle_lm)
    finally:
        sleeper.kill()
        sleeper.wait()


def test_kill_9_then_restart_resumes_without_duplicates_or_lost_calls(
    store_at, project: Path, tmp_path: Path
) -> None:
    db_path = store_at  # on SQLite and on PostgreSQL
    spec = load_spec(project / "support_tickets.yaml")
    # Every candidate scored in full: where a raced candidate stops depends on thread timing,
    # and this test compares trial scores with an uninterrupted run's.
    spec.optimizer.params = {"race": False}
    reference_id, reference = _finished_run(tmp_path / "reference" / "runs.db", spec)
    ref_trials = reference.trials(reference_id)
    ref_run = reference.get_run(reference_id)
    reference.close()

    run_id = create_run(spec, db_path)
    call_log = tmp_path / "calls.log"
    env = subprocess_env(
        TUNESMITH_TEST_LM="scripted_lms:slow_oracle_lm",
        TUNESMITH_TEST_LATENCY="0.03",
        TUNESMITH_TEST_CALL_LOG=str(call_log),
    )
    cmd, first = start_worker(run_id, db_path, env)
    store = RunStore(db_path)
    try:
        wait_for(lambda: len(store.trials(run_id)) >= 6, 120, "6 stored trials")
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
        killed_at = len(store.trials(run_id))
        print("killed after", killed_at, "trials of", len(ref_trials))
        assert killed_at < len(ref_trials), "the kill came too late to test a resume"
        assert store.get_run(run_id)["status"] == "running"
        assert reconcile_run(run_id, db_path)["status"] == "failed"

        second = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
        assert second.returncode == 0, second.stdout + second.stderr
        run = store.get_run(run_id)
        assert run["status"] == "finished" and run["attempts"] == 2
        trials = store.trials(run_id)
        # continuous numbering, nothing evaluated twice, same outcome as an uninterrupted run
        assert [t["number"] for t in trials] == list(range(1, len(trials) + 1))
        keys = [(t["candidate"], t["subset"]) for t in trials]
        assert len(keys) == len(set(keys))
        assert [(t["candidate"], t["subset"], t["score"]) for t in trials] == [
            (t["candidate"], t["subset"], t["score"]) for t in ref_trials
        ]
        assert (run["best_candidate"], run["test_best"], run["test_baseline"]) == (
            ref_run["best_candidate"],
            ref_run["test_best"],
            ref_run["test_baseline"],
        )
        seqs = [e["seq"] for e in store.events(run_id)]
        assert seqs == list(range(1, len(seqs) + 1))
        assert [e["type"] for e in store.events(run_id)].count("run_started") == 2
        # no recorded LM call lost: every call the LM logged after recording it is in the store
        calls = store.lm_calls(run_id)
        logged = len(call_log.read_text().splitlines())
        uncached = [c for c in calls if not c["cache_hit"]]
        assert len(uncached) >= logged > 0
        assert any(c["attempt"] == 1 for c in calls)
        assert any(c["attempt"] == 2 and c["cache_hit"] for c in calls), (
            "the resume reused the disk cache"
        )
    finally:
        store.close()
        if first.poll() is None:
            first.kill()


def test_launch_detached_worker_with_extra_env(db_path: Path, tickets_spec, monkeypatch) -> None:
    key = "sk-detached-FAKE-654321"
    monkeypatch.setenv("TUNESMITH_TEST_LM", "scripted_lms:keyed_oracle_lm")
    monkeypatch.setenv("PYTHONPATH", subprocess_env()["PYTHONPATH"])
    run_id = create_run(tickets_spec, db_path)
    pid = launch_run(run_id, db_path, inline=False, extra_env={"FAKE_KEY_FOR_TEST": key})
    assert pid and "FAKE_KEY_FOR_TEST" not in os.environ
    with RunStore(db_path) as store:
        wait_for(
            lambda: store.get_run(run_id)["status"] not in ("queued", "running"), 120, "the run"
        )
        run = store.get_run(run_id)
    assert run["status"] == "finished", run["reason"]
    # `pid` is the supervisor's; the store holds the worker's, its child
    assert run["pid"] not in (None, pid) and Path(run["log_path"]).exists()
    wait_for(lambda: not pid_alive(pid), 30, "the supervisor to exit (reaped, not a zombie)")
    assert not pid_alive(run["pid"])
    for path in db_path.parent.rglob("*"):
        if path.is_file():
            assert key.encode() not in path.read_bytes(), path
