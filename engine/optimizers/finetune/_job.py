"""DSPy's `TrainingJob`: one fine-tuning run as a `concurrent.futures.Future`, run by the
engine's trainers (the embedded model's llama.cpp trainer, or a hosted OpenAI-compatible
provider's fine-tuning API). `job.result()` is an `LM` of the tuned model."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from typing import Any

from engine.lm import LM
from engine.optimizers.finetune._hosted import HostedTrainer, hosted_model
from engine.optimizers.finetune._process import TrainingCancelled
from engine.optimizers.finetune._trainer import LlamaTrainer, Trainer

Messages = list[dict[str, str]]


def chat_rows(train_data: Sequence[Any]) -> list[Messages]:
    """DSPy's training data as chats: `{"messages": [...]}` rows (the chat format), bare
    message lists, or `{"prompt", "completion"}` rows (the completion format)."""
    rows: list[Messages] = []
    for number, row in enumerate(train_data, start=1):
        if isinstance(row, Mapping) and isinstance(row.get("messages"), list):
            rows.append(list(row["messages"]))
        elif isinstance(row, list) and all(isinstance(m, Mapping) for m in row):
            rows.append(list(row))
        elif isinstance(row, Mapping) and {"prompt", "completion"} <= set(row):
            rows.append([{"role": "user", "content": str(row["prompt"])},
                         {"role": "assistant", "content": str(row["completion"])}])  # fmt: skip
        else:
            raise ValueError(
                f"training row {number}: expected {{'messages': [...]}} or {{'prompt', "
                f"'completion'}}, got {type(row).__name__}"
            )
    if not rows:
        raise ValueError("TrainingJob needs at least one training row")
    return rows


class TrainingJob(Future):
    """`TrainingJob(model=, train_data=, train_kwargs=)`, then `.start()`; `.status()` says
    "pending", "running", "succeeded", "failed" or "cancelled"; `.cancel()` stops a running
    job at its next step; `.result()` is the tuned model's `LM`. `trainer`: who trains
    (default: the hosted provider's API for an OpenAI-compatible model, else the embedded
    model's trainer); `steps` collects the training steps reported so far."""

    def __init__(
        self,
        thread: threading.Thread | None = None,
        model: str | None = None,
        train_data: Sequence[Any] | None = None,
        train_data_format: Any = None,
        train_kwargs: Mapping[str, Any] | None = None,
        *,
        trainer: Trainer | None = None,
    ) -> None:
        super().__init__()
        self.thread = thread
        self.model = model
        self.train_data = list(train_data or [])
        self.train_data_format = train_data_format
        self.train_kwargs = dict(train_kwargs or {})
        self.trainer = trainer
        self.steps: list[Any] = []
        self._stop = threading.Event()
        self._phase = "pending"

    def start(self) -> TrainingJob:
        """Check the job, then train in a background thread; returns the job."""
        if self.thread is not None:
            raise RuntimeError("this TrainingJob was started already")
        if not isinstance(self.model, str) or not self.model.strip():
            raise ValueError("TrainingJob needs model=, the name of the model to tune")
        rows = chat_rows(self.train_data)
        trainer = self.trainer or (HostedTrainer() if hosted_model(self.model) else LlamaTrainer())
        problems = trainer.problems(self.model, self.train_kwargs)
        if problems:
            raise ValueError(" ".join(problems))
        self.thread = threading.Thread(target=self._run, args=(trainer, rows), daemon=True,
                                       name=f"training {self.model}")  # fmt: skip
        self.set_running_or_notify_cancel()
        self._phase = "running"
        self.thread.start()
        return self

    def _run(self, trainer: Trainer, rows: list[Messages]) -> None:
        def on_step(step: Any) -> bool:
            self.steps.append(step)
            return not self._stop.is_set()

        try:
            tuned = trainer.train(self.model or "", rows, self.train_kwargs, on_step=on_step,
                                  should_stop=self._stop.is_set)  # fmt: skip
        except TrainingCancelled as error:
            self._phase = "cancelled"
            self.set_exception(error)
        except BaseException as error:  # noqa: BLE001 - handed to whoever waits on the job
            self._phase = "failed"
            self.set_exception(error)
        else:
            self._phase = "succeeded"
            self.set_result(LM(tuned))

    def cancel(self) -> bool:
        """Stop the job: before it starts, at once; while it trains, at its next step (its
        result then raises TrainingCancelled). False once it has finished."""
        if self._phase == "pending":
            self._phase = "cancelled"
            return super().cancel()
        if self._phase == "running":
            self._stop.set()
            return True
        return False

    def status(self) -> str:
        """"pending", "running", "succeeded", "failed" or "cancelled"."""
        return self._phase
