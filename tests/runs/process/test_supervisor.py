"""A worker that dies by a signal (a native crash: no exception, no traceback) is reported by its
supervisor: the run is marked failed with the signal named and the rows it was on."""

from __future__ import annotations

import signal
from pathlib import Path

from runs_helpers import subprocess_env, wait_for

from engine.runs import RunStore, create_run
from engine.runs.process._launch import launch_run
from engine.runs.process._liveness import pid_alive, reconcile_run
from engine.runs.process.supervisor import death_reason, describe_rows, record_death


def test_worker_killed_by_sigsegv_fails_the_run_naming_signal_and_rows(
    db_path: Path, tickets_spec, monkeypatch
) -> None:
    monkeypatch.setenv("TUNESMITH_TEST_LM", "scripted_lms:crashing_lm")
    monkeypatch.setenv("PYTHONPATH", subprocess_env()["PYTHONPATH"])
    run_id = create_run(tickets_spec, db_path)
    pid = launch_run(run_id, db_path, inline=False)
    with RunStore(db_path) as store:
        wait_for(lambda: store.get_run(run_id)["status"] == "failed", 120, "the run to fail")
        run = store.get_run(run_id)
    assert "SIGSEGV" in run["reason"], run["reason"]
    assert "while evaluating candidate" in run["reason"] and "rows " in run["reason"]
    assert "start the run again" in run["reason"]
    wait_for(lambda: not pid_alive(pid), 30, "the supervisor to exit")
    # a page that reconciles the run afterwards keeps the supervisor's words
    assert "SIGSEGV" in reconcile_run(run_id, db_path)["reason"]
    log = Path(run["log_path"]).read_text()
    assert "Segmentation fault" in log or "Fatal Python error" in log  # faulthandler's stack


def test_death_reasons_name_the_signal_and_its_likely_cause(tmp_path: Path) -> None:
    path = tmp_path / "in_flight.json"
    path.write_text('{"pid": 1, "rows": [["abcdef0123", "val-3"], ["abcdef0123", "val-9"]]}')
    rows = describe_rows(path)
    assert rows == "candidate abcdef01: rows val-3, val-9"
    assert "SIGILL" in death_reason(-signal.SIGILL, rows) and "CPU lacks" in death_reason(
        -signal.SIGILL, rows
    )
    assert "kill -9" in death_reason(-signal.SIGKILL, "")
    assert describe_rows(tmp_path / "missing.json") == ""
    path.write_text("{not json")
    assert describe_rows(path) == ""


def test_a_run_that_ended_on_its_own_is_left_alone(db_path: Path, tickets_spec) -> None:
    run_id = create_run(tickets_spec, db_path)
    with RunStore(db_path) as store:
        store.finish_run(run_id, "finished")
    assert record_death(db_path, run_id, -signal.SIGKILL) is None
    with RunStore(db_path) as store:
        assert store.get_run(run_id)["status"] == "finished"


def test_a_worker_that_exits_with_an_error_before_the_end_fails_the_run_saying_why(
    db_path: Path, tickets_spec, monkeypatch
) -> None:
    """Ray ends a driver whose own node is lost (exit code 1, no words of its own): the
    supervisor marks the run failed, naming the lost cluster when it no longer answers."""
    import socket

    with socket.socket() as probe:  # a port nobody listens on: the cluster's head is gone
        probe.bind(("127.0.0.1", 0))
        gone = f"127.0.0.1:{probe.getsockname()[1]}"
    first, second = create_run(tickets_spec, db_path), create_run(tickets_spec, db_path)
    with RunStore(db_path) as store:
        for run_id in (first, second):
            store.update_run(run_id, status="running")
    monkeypatch.delenv("TUNESMITH_RAY", raising=False)
    assert "exit code 1" in record_death(db_path, first, 1)
    monkeypatch.setenv("TUNESMITH_RAY", gone)
    reason = record_death(db_path, second, 1)
    assert f"The Ray cluster ({gone}) stopped answering" in reason and "resume" in reason
    with RunStore(db_path) as store:
        runs = [store.get_run(run_id) for run_id in (first, second)]
    assert [r["status"] for r in runs] == ["failed", "failed"]
    assert runs[1]["reason"] == reason
