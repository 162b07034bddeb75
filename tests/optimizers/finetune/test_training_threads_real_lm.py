"""llama.cpp's training runs on the thread count it is given (real embedded model, one step).

`llama_opt_epoch` does not pass the context's thread count to ggml's CPU backend; without
`settle_training_context` one training step ran on ggml's default of 4 threads whatever the
context said, and on 2 shared cores its spinning barriers made a step 3-6 times slower
(docs/design/finetune.md, "Speed"). A sampler thread counts this process's threads during the
step: a context made for one thread adds no worker thread."""

from __future__ import annotations

import os
import threading

import pytest
from local_lm_helpers import REAL_LM

from engine.lm.local import smollm2_path
from engine.optimizers.finetune._llama_train import Window, f32_copy, train

pytestmark = [*REAL_LM, pytest.mark.slow, pytest.mark.timeout(300)]


def thread_count() -> int:
    return len(os.listdir("/proc/self/task"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="counts threads in /proc")
def test_one_training_step_runs_on_the_threads_asked_for(tmp_path):
    f32 = f32_copy(smollm2_path(), tmp_path / "base.f32.gguf")
    # 256 inputs and their next tokens; the loss counts the second half (the mask's callback
    # and the thread count are both set by one decode after the optimizer is made)
    window = Window(list(range(1000, 1257)), [i >= 128 for i in range(256)])
    most, stop = [0], threading.Event()

    def sample() -> None:
        while not stop.wait(0.02):
            most[0] = max(most[0], thread_count())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    before = thread_count()  # this process with the sampler running
    try:
        result = train(f32, [window], tmp_path / "tuned.gguf", n_ctx=256, steps=1, threads=1,
                       on_step=lambda step: False)  # fmt: skip  (stop after the step: no save)
    finally:
        stop.set()
        sampler.join()
    assert len(result.steps) == 1 and result.stopped
    assert most[0] == before, f"{most[0] - before} extra threads ran the step"
