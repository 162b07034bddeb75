"""Training in its own process (`run_training`): the model appears under its final name only
when complete, a cancel or a failure kills the child and leaves no temporary file, a child whose
parent died stops, and leftovers of dead processes are cleared. The job is the tests' sleepy
one (tests/runs/fake_trainers.py): it sleeps per step and writes its file half at a time."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fake_trainers import SleepyTrainer, sleepy_job
from runs_helpers import subprocess_env, wait_for
from test_finetune import echo, exact, qa

import engine as dspy
from engine.lm import ScriptedLM
from engine.optimizers import EventRecorder, RunContext
from engine.optimizers.finetune import (
    BootstrapFinetune,
    TrainingCancelled,
    TrainingFailed,
    run_training,
)
from engine.optimizers.finetune._process import clear_partials, owner_pid, partial_path, pid_alive

ROWS = [[{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]]


def failing_job(partial: Path, report, **kwargs) -> None:
    partial.write_text("half")
    raise RuntimeError("the weights file is damaged")


def test_steps_are_reported_and_the_file_appears_only_when_complete(tmp_path: Path) -> None:
    final, seen = tmp_path / "model.json", []

    def on_step(step):
        seen.append(step.step)
        if step.step == 1:  # the child sleeps 0.5 s before the next step
            assert not final.exists()  # still training: nothing under the final name
            [partial] = tmp_path.glob("model.json.*.partial")
            assert owner_pid(partial) != os.getpid()  # the child writes it
        return True

    out = run_training(sleepy_job, {"rows": ROWS, "steps": 3, "seconds": 0.5}, final,
                       on_step=on_step)  # fmt: skip
    assert out == final and seen == [1, 2, 3]
    assert json.loads(final.read_text()) == ROWS
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.json"]


@pytest.mark.parametrize("how", ["on_step", "should_stop"])
def test_a_cancel_kills_the_child_and_leaves_no_file(tmp_path: Path, how: str) -> None:
    final, pids = tmp_path / "model.json", []

    def on_step(step):
        pids.extend(owner_pid(p) for p in tmp_path.glob("*.partial"))
        return how != "on_step" or step.step < 2

    def should_stop():
        return how == "should_stop" and len(pids) >= 2

    with pytest.raises(TrainingCancelled):
        run_training(sleepy_job, {"rows": ROWS, "steps": 50, "seconds": 0.1}, final,
                     on_step=on_step, should_stop=should_stop)  # fmt: skip
    assert not pid_alive(pids[0])
    assert list(tmp_path.iterdir()) == []


def test_a_failing_job_says_why_and_leaves_no_file(tmp_path: Path) -> None:
    with pytest.raises(TrainingFailed, match="RuntimeError: the weights file is damaged"):
        run_training(failing_job, {}, tmp_path / "model.gguf")
    assert list(tmp_path.iterdir()) == []


def test_a_child_killed_by_a_signal_is_a_failure_naming_it(tmp_path: Path) -> None:
    def on_step(step):
        [partial] = tmp_path.glob("*.partial")
        os.kill(owner_pid(partial), signal.SIGKILL)  # the kernel's OOM killer, say

    with pytest.raises(TrainingFailed, match="killed by signal 9"):
        run_training(sleepy_job, {"rows": ROWS, "steps": 50, "seconds": 0.1},
                     tmp_path / "model.json", on_step=on_step)  # fmt: skip
    assert list(tmp_path.iterdir()) == []


PARENT = """
import sys, time
from pathlib import Path
from fake_trainers import sleepy_job
from engine.optimizers.finetune import run_training
run_training(sleepy_job, {"rows": [], "steps": 1000, "seconds": 0.2}, Path(sys.argv[1]))
"""


def test_the_child_stops_when_its_parent_is_killed_and_the_next_job_clears_its_file(
    tmp_path: Path,
) -> None:
    final = tmp_path / "model.json"
    parent = subprocess.Popen([sys.executable, "-c", PARENT, str(final)], env=subprocess_env())
    wait_for(lambda: list(tmp_path.glob("*.partial")), 60, "the child's temporary file")
    [partial] = tmp_path.glob("*.partial")
    child = owner_pid(partial)
    parent.send_signal(signal.SIGKILL)  # kill -9 of the worker
    parent.wait(10)
    wait_for(lambda: not pid_alive(child), 10, "the orphaned child to stop")
    assert not final.exists()  # its half-written file (if it could not remove it) is not final
    run_training(sleepy_job, {"rows": ROWS, "steps": 1, "seconds": 0}, final)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.json"]


def test_clear_partials_removes_only_dead_processes_files(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        files = [partial_path(tmp_path / "a.gguf", dead.pid), partial_path(tmp_path / "b.gguf",
                 live.pid), tmp_path / "c.gguf", tmp_path / f"d.gguf.{dead.pid}.partial.x.f32"]
        for path in files:
            path.write_text("x")
        assert sorted(p.name for p in clear_partials(tmp_path)) == sorted(
            [files[0].name, files[3].name])
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted([files[1].name, "c.gguf"])
    finally:
        live.kill()
        live.wait()
    time.sleep(0)


def test_cancelling_a_run_mid_training_ends_it_cancelled_with_no_model_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    steps: list = []
    recorder = EventRecorder([lambda e: steps.append(e) if e.type == "training_step" else None])
    run = RunContext(recorder=recorder, should_cancel=lambda: len(steps) >= 2, workdir=tmp_path)
    optimizer = BootstrapFinetune(metric=exact, trainer=SleepyTrainer(),
                                  train_kwargs={"max_steps": 50})  # fmt: skip
    monkeypatch.setenv("FAKE_TRAIN_SECONDS", "0.2")
    with dspy.context(lm=ScriptedLM(by_input=echo)):
        tuned = optimizer.compile(dspy.Predict("question -> answer"), trainset=qa(4), run=run)
    assert tuned.result.status == "cancelled" and tuned.lm is None
    assert len(steps) == 2 and list((tmp_path / "model").iterdir()) == []
