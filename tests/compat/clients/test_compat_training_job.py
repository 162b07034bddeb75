"""DSPy's `TrainingJob`: a fine-tuning run as a Future, trained by the engine's trainers."""

from __future__ import annotations

import threading

import pytest

import engine as dspy
from engine.optimizers.finetune import TrainingCancelled, TrainingJob, chat_rows

ROWS = [
    {"messages": [{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "4"}]},
    {"prompt": "3+3?", "completion": "6"},
]


class GatedTrainer:
    """Reports a step, then waits for the test to let it go on (or to cancel it)."""

    def __init__(self, refuse: str = "") -> None:
        self.refuse = refuse
        self.started, self.go_on = threading.Event(), threading.Event()
        self.rows: list = []

    def problems(self, model, train_kwargs):
        return [self.refuse] if self.refuse else []

    def train(self, model, rows, train_kwargs, on_step=None, should_stop=None):
        self.rows = list(rows)
        on_step("step 1")
        self.started.set()
        assert self.go_on.wait(timeout=30)
        if should_stop is not None and should_stop():
            raise TrainingCancelled("cancelled between steps")
        on_step("step 2")
        return f"{model}-tuned"


def test_a_job_trains_in_the_background_and_gives_the_tuned_lm():
    trainer = GatedTrainer()
    job = TrainingJob(model="openai/base", train_data=ROWS, train_kwargs={"epochs": 1},
                      trainer=trainer)  # fmt: skip
    assert job.status() == "pending" and not job.done()
    job.start()
    assert trainer.started.wait(timeout=30) and job.status() == "running"
    trainer.go_on.set()
    tuned = job.result(timeout=30)
    assert isinstance(tuned, dspy.LM) and tuned.model == "openai/base-tuned"
    assert job.status() == "succeeded" and job.steps == ["step 1", "step 2"]
    assert trainer.rows[1] == [{"role": "user", "content": "3+3?"},
                               {"role": "assistant", "content": "6"}]  # fmt: skip


def test_cancel_stops_a_running_job_at_its_next_step():
    trainer = GatedTrainer()
    job = TrainingJob(model="openai/base", train_data=ROWS, trainer=trainer).start()
    assert trainer.started.wait(timeout=30)
    assert job.cancel() is True
    trainer.go_on.set()
    with pytest.raises(TrainingCancelled):
        job.result(timeout=30)
    assert job.status() == "cancelled" and job.steps == ["step 1"]
    assert job.cancel() is False  # finished


def test_a_pending_job_cancels_at_once():
    job = TrainingJob(model="openai/base", train_data=ROWS, trainer=GatedTrainer())
    assert job.cancel() and job.cancelled() and job.status() == "cancelled"


def test_bad_jobs_are_refused_before_training():
    with pytest.raises(ValueError, match="model="):
        TrainingJob(train_data=ROWS, trainer=GatedTrainer()).start()
    with pytest.raises(ValueError, match="at least one"):
        TrainingJob(model="openai/base", train_data=[], trainer=GatedTrainer()).start()
    with pytest.raises(ValueError, match="training row 1"):
        chat_rows([{"text": "no shape"}])
    with pytest.raises(ValueError, match="cannot tune"):
        TrainingJob(model="openai/base", train_data=ROWS,
                    trainer=GatedTrainer(refuse="This trainer cannot tune openai/base.")).start()


def test_dspy_paths():
    assert dspy.TrainingJob is TrainingJob is dspy.clients.TrainingJob
    real = pytest.importorskip("dspy")
    assert issubclass(real.TrainingJob, __import__("concurrent.futures").futures.Future)
    assert issubclass(TrainingJob, __import__("concurrent.futures").futures.Future)
