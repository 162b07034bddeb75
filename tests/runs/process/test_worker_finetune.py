"""kill -9 of a worker mid-training: the training process stops with it, and the run started
again trains afresh and finishes, with no temporary file left and the store whole."""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

from runs_helpers import start_worker, subprocess_env, wait_for

from dashboard.widgets.run.training_view import training_steps
from engine.optimizers.finetune._process import owner_pid, pid_alive
from engine.runs import RunStore, create_run


def test_killed_mid_training_the_run_resumes_and_trains_cleanly(
    db_path: Path, tickets_spec, tmp_path: Path
) -> None:
    tickets_spec.data.train_size, tickets_spec.data.val_size = 8, 4
    tickets_spec.data.test_size = 6
    tickets_spec.optimizer.name, tickets_spec.optimizer.params = "BootstrapFinetune", {
        "max_steps": 12}  # fmt: skip
    run_id = create_run(tickets_spec, db_path)
    env = subprocess_env(TUNESMITH_TEST_LM="scripted_lms:oracle_lm",
                         TUNESMITH_TEST_TRAINER="fake_trainers:SleepyTrainer",
                         TUNESMITH_CACHE_DIR=str(tmp_path / "cache"),
                         FAKE_TRAIN_SECONDS="0.5")  # fmt: skip
    command, worker = start_worker(run_id, db_path, env)
    folder = db_path.parent / "runs" / run_id / "model"
    with RunStore(db_path) as store:
        wait_for(lambda: len([e for e in store.events(run_id)
                              if e["type"] == "training_step"]) >= 2, 120,
                 "two training steps")  # fmt: skip
    [partial] = folder.glob("*.partial")
    child = owner_pid(partial)
    worker.send_signal(signal.SIGKILL)
    worker.wait(10)
    wait_for(lambda: not pid_alive(child), 10, "the training process to stop with its worker")
    assert not [p for p in folder.iterdir() if not p.name.endswith(".partial")]

    env["FAKE_TRAIN_SECONDS"] = "0"
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr[-2000:]
    with RunStore(db_path) as store:
        run, events = store.get_run(run_id), store.events(run_id)
        assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert run["status"] == "finished" and run["attempts"] == 2, run["reason"]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert [e["type"] for e in events].count("run_finished") == 1
    [model] = folder.iterdir()  # the complete file only
    assert json.loads(model.read_text())[0][-1]["role"] == "assistant"
    steps = [s["step"] for s in training_steps(events)]
    assert steps == list(range(1, 13))  # the Run page shows the attempt that finished
