"""A message that says a run failed must be true (issue 37 item 5): `resume RUN --worker` right
after a kill -9 follows the worker it started, not the dead one; a worker whose heartbeat is
stale because the store or the machine is busy is still alive."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from runs_helpers import start_worker, subprocess_env, wait_for

from engine.runs import RunStore, create_run
from engine.runs.process._liveness import is_alive, is_worker_of, reconcile_run


def test_resume_with_worker_right_after_kill_9_reports_the_new_workers_result(
    db_path: Path, tickets_spec
) -> None:
    run_id = create_run(tickets_spec, db_path)
    env = subprocess_env(TUNESMITH_TEST_LM="scripted_lms:slow_oracle_lm",
                         TUNESMITH_TEST_LATENCY="0.03")  # fmt: skip
    _, first = start_worker(run_id, db_path, env)
    with RunStore(db_path) as store:
        wait_for(lambda: len(store.trials(run_id)) >= 2, 120, "2 stored trials")
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=30)
    done = subprocess.run(
        [sys.executable, "-m", "engine", "resume", run_id, "--worker", "--db", str(db_path)],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    with RunStore(db_path) as store:
        run = store.get_run(run_id)
    assert run["status"] == "finished", run["reason"]
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    assert "failed" not in done.stdout


def test_a_stale_heartbeat_of_a_live_worker_is_not_a_death(db_path: Path, tickets_spec) -> None:
    run_id = create_run(tickets_spec, db_path)
    # a process whose command line is this run's worker's, busy (as behind a locked store)
    worker = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)", "engine.runs.process.worker", run_id]
    )
    try:
        with RunStore(db_path) as store:
            store.update_run(run_id, status="running", pid=worker.pid, heartbeat=time.time() - 90)
            run = store.get_run(run_id)
        assert is_worker_of(worker.pid, run_id) and not is_worker_of(worker.pid, "other-run")
        assert is_alive(run)
        assert reconcile_run(run_id, db_path)["status"] == "running"
    finally:
        worker.kill()
        worker.wait()
    wait_for(lambda: reconcile_run(run_id, db_path)["status"] == "failed", 10, "the death seen")
