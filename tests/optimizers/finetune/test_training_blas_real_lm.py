"""The training process's steps on llama.cpp's BLAS backend (real embedded model, two steps).

`make setup` builds the backend as a module (`_blas`); the training process loads it, and its
steps must be the CPU backend's steps, faster (docs/design/finetune.md, "Speed": 2.9-3.3 s
against 10.7-12.7 s a 256-token step after the first). The BLAS run goes in a child process
of its own: a process that loaded the module keeps it, and this one serves the embedded model's
replies to other tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from local_lm_helpers import REAL_LM

from engine.lm.local import library_dir, smollm2_path
from engine.optimizers.finetune._blas import module_path
from engine.optimizers.finetune._llama_train import Window, f32_copy, train

pytestmark = [
    *REAL_LM,
    pytest.mark.slow,
    pytest.mark.timeout(600),
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the module is built on Linux"),
]

TOKENS = list(range(1000, 1257))  # 256 inputs and their next tokens
COUNTED = [i >= 128 for i in range(256)]  # the loss mask runs on both backends
STEPS = 2
CHILD = f"""
import json, sys
from pathlib import Path
from engine.optimizers.finetune._llama_train import Window, train
window = Window({TOKENS}, {COUNTED})
result = train(Path(sys.argv[1]), [window], Path(sys.argv[2]), n_ctx=256, steps={STEPS},
               threads=1, blas=True, on_step=lambda step: step.step < {STEPS})
print(json.dumps({{"backend": result.backend, "losses": result.losses,
                  "seconds": [s.seconds for s in result.steps]}}))
"""


def step_seconds(cumulative: list[float]) -> list[float]:
    return [b - a for a, b in zip([0.0, *cumulative], cumulative, strict=False)]


def test_the_training_process_steps_on_blas_like_the_cpu_backend_and_faster(tmp_path: Path):
    lib_dir = library_dir()
    assert lib_dir is not None
    assert module_path(lib_dir).is_file(), "no BLAS module: `make setup` builds it"
    f32 = f32_copy(smollm2_path(), tmp_path / "base.f32.gguf")
    done = subprocess.run(  # noqa: S603 - this interpreter, our own code
        [sys.executable, "-c", CHILD, str(f32), str(tmp_path / "blas.gguf")],
        capture_output=True, text=True, timeout=500, check=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)},
    )  # fmt: skip
    blas = json.loads(done.stdout.splitlines()[-1])
    # the CPU backend's steps, here (stopped after the last: nothing saved)
    cpu = train(f32, [Window(TOKENS, COUNTED)], tmp_path / "cpu.gguf", n_ctx=256, steps=STEPS,
                threads=1, on_step=lambda step: step.step < STEPS)  # fmt: skip
    assert blas["backend"].startswith("BLAS"), blas["backend"]
    assert cpu.backend == "CPU"
    assert len(blas["losses"]) == len(cpu.losses) == STEPS
    assert blas["losses"] == pytest.approx(cpu.losses, rel=1e-3)
    assert blas["losses"][1] < blas["losses"][0]
    # the second step (the first builds the graphs): 2.9 s against 12.7 s measured
    assert step_seconds(blas["seconds"])[1] < step_seconds([s.seconds for s in cpu.steps])[1]
