"""Test trainers behind the `Trainer` protocol (hook: TUNESMITH_TEST_TRAINER=fake_trainers:<name>).

`SleepyTrainer` trains nothing but goes through the real training-process machinery
(`engine.optimizers.finetune.run_training`): a spawned child sleeps $FAKE_TRAIN_SECONDS per step
(default 0), reports falling losses, and writes the rows to its temporary file half at a time
(a kill in between leaves a half-written file under the temporary name only). The tuned model's
name is the base's with `-ft-<job key>`, so a scripted LM answers for it as for the base.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.optimizers.finetune import run_training
from engine.optimizers.finetune._llama_train import TrainStep

STEPS = 4


def sleepy_job(partial: Path, report: Callable[[TrainStep], None], *, rows: list, steps: int,
               seconds: float) -> None:  # fmt: skip
    text = json.dumps(rows)
    with open(partial, "w") as handle:
        handle.write(text[: len(text) // 2])
        handle.flush()
        for number in range(1, steps + 1):
            time.sleep(seconds)
            report(TrainStep(number, steps, 2.0 / number, seconds * number, 50.0))
        handle.write(text[len(text) // 2 :])


class SleepyTrainer:
    """Accepts any model; context 100,000 words; a job needs 1 MB of disk."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder
        self.jobs: list[str] = []

    def problems(self, model: str, train_kwargs: Any) -> list[str]:
        return []

    def count_tokens(self, model: str, messages: list[dict[str, str]]) -> int:
        return sum(len(m["content"].split()) for m in messages)

    def context_length(self, train_kwargs: Any) -> int:
        return 100_000

    def disk_bytes(self, model: str) -> int:
        return 1_000_000

    def train(self, model, rows, train_kwargs, on_step=None, should_stop=None) -> str:
        key = hashlib.sha256(json.dumps([model, list(rows), dict(train_kwargs)],
                                        sort_keys=True).encode()).hexdigest()[:10]  # fmt: skip
        folder = self.folder or Path(tempfile.gettempdir()) / "tunesmith-fake-trainer"
        final = folder / f"tuned-{key}.json"
        if not final.is_file():
            seconds = float(os.environ.get("FAKE_TRAIN_SECONDS", "0"))
            steps = int(train_kwargs.get("max_steps") or STEPS)
            run_training(sleepy_job, {"rows": list(rows), "steps": steps, "seconds": seconds},
                         final, on_step=on_step, should_stop=should_stop)  # fmt: skip
        self.jobs.append(str(final))
        return f"{model}-ft-{key}"


class FileTrainer(SleepyTrainer):
    """SleepyTrainer whose tuned model is a file, as the embedded trainer's is:
    `local/<folder>/<base>.ft-<key>.Q8_0.gguf` ($FAKE_MODEL_BYTES bytes, default 2.5 MB; not a
    real model: a scripted LM answers for it). The pages then show and offer that file."""

    def train(self, model, rows, train_kwargs, on_step=None, should_stop=None) -> str:
        tuned = super().train(model, rows, train_kwargs, on_step, should_stop)
        key = tuned.rsplit("-ft-", 1)[-1]
        folder = self.folder or Path(tempfile.gettempdir()) / "tunesmith-fake-trainer"
        path = folder / f"{model.rsplit('/', 1)[-1]}.ft-{key}.Q8_0.gguf"
        if not path.is_file():
            size = int(os.environ.get("FAKE_MODEL_BYTES", "2500000"))
            path.write_bytes(b"GGUF" + bytes(size - 4))
        return f"local/{path}"
