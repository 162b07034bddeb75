"""The loss mask on the real embedded model: positions a window does not count change nothing.

llama.cpp's training API has no loss mask; `_LossMask` makes one (docs/design/finetune.md,
"Loss"). Two windows share their first 129 tokens and differ after; each counts only labels
100-127 (and position 0, which always counts). With the mask, what the differing tail holds
cannot reach the weights, so both train to the same losses. With the gradient left unzeroed
(the labels' half of the mask alone), the tail's rows still pull on the weights and the second
step's loss differs: the control that shows the test can fail."""

from __future__ import annotations

import pytest
from local_lm_helpers import REAL_LM

from engine.lm.local import smollm2_path
from engine.optimizers.finetune import _llama_train
from engine.optimizers.finetune._llama_train import Window, f32_copy, train

pytestmark = [*REAL_LM, pytest.mark.slow, pytest.mark.timeout(600)]

SHARED = list(range(1000, 1129))  # inputs 0-128: the counted labels 100-127 read only these
COUNTED = [100 <= i <= 127 for i in range(256)]
WINDOW_A = Window([*SHARED, *range(2000, 2128)], COUNTED)
WINDOW_B = Window([*SHARED, *range(5000, 5128)], COUNTED)
STEPS = 2


def losses(f32, window: Window, tmp_path) -> list[float]:
    result = train(f32, [window], tmp_path / "tuned.gguf", n_ctx=256, steps=STEPS, threads=1,
                   on_step=lambda step: step.step < STEPS)  # fmt: skip (stop: nothing saved)
    assert len(result.steps) == STEPS
    return result.losses


def test_what_the_uncounted_positions_hold_does_not_change_training(tmp_path, monkeypatch):
    f32 = f32_copy(smollm2_path(), tmp_path / "base.f32.gguf")
    a, b = losses(f32, WINDOW_A, tmp_path), losses(f32, WINDOW_B, tmp_path)
    assert a[0] == pytest.approx(b[0], rel=1e-6)  # the counted positions read the same tokens
    assert a[1] == pytest.approx(b[1], rel=1e-6)  # and the tail's gradient was zero
    assert a[1] < a[0]  # the counted positions did train

    def labels_only(self, tensor, ask, user_data):  # the mask without its gradient half
        return False

    monkeypatch.setattr(_llama_train._LossMask, "_on_node", labels_only)
    monkeypatch.setattr(_llama_train, "_check_mask", lambda mask: None)
    unzeroed = losses(f32, WINDOW_B, tmp_path)
    assert unzeroed[0] == pytest.approx(b[0], rel=1e-6)
    assert unzeroed[1] != pytest.approx(b[1], rel=1e-4)
