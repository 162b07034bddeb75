"""Closed replies read again: the logits a closed reply was chosen from, kept per prompt.

A closed reply (`_drafted`, `closed=True`) is decided by the model's logits at a
few points: after the prompt and each forced stretch of draft tokens. Only those logits are
needed to pick the reply again, greedy or sampled at any temperature. SIMBA reads a kept
program's row greedily in one phase and again, sampled, in a later rollout. Other calls come in
between, so the model's KV cache no longer holds that prompt, and the rollout paid the whole
prompt again: on the long-input SIMBA case, seed 2, 15 of 41 calls re-read a prompt read
before, 18.1 of 68.3 s.

`ClosedLogits` keeps, for the last `MAX_PROMPTS` prompts, the logits of each step, keyed by the
tokens written before the step and the step's draft. A later closed reply on the same prompt
replays from them without a model pass; a step it has not seen (the reply takes another path)
makes the caller run the model as usual. The logits are the ones llama.cpp computed before, so a
replayed reply equals the one a new pass gives, up to llama.cpp's batch rounding (the same
rounding that lets a prompt read in different chunks differ). Each step holds one vocabulary of
float32 logits (~190 KB on SmolLM2): `MAX_PROMPTS` prompts of 1-3 steps stay under ~75 MB.
Only the embedded model's drafted path has it; hosted models are not affected.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

MAX_PROMPTS = 128

StepKey = tuple[tuple[int, ...], tuple[int, ...]]  # (tokens written before, draft)


class LogitsMiss(Exception):
    """The cache has no logits for this step: the model must run."""


class ClosedLogits:
    """Per prompt (its tokens' digest), the logits after each (written, draft) step."""

    def __init__(self, max_prompts: int = MAX_PROMPTS) -> None:
        self.max_prompts = max_prompts
        self._prompts: OrderedDict[bytes, dict[StepKey, np.ndarray]] = OrderedDict()
        self.replayed = 0  # replies served without a model pass

    @staticmethod
    def key(prompt: Sequence[int]) -> bytes:
        return hashlib.blake2b(
            np.asarray(prompt, dtype=np.int64).tobytes(), digest_size=16
        ).digest()

    def get(self, prompt_key: bytes, written: Sequence[int], draft: Sequence[int]) -> np.ndarray:
        """The logits after `written` + `draft` on this prompt; raises `LogitsMiss`."""
        steps = self._prompts.get(prompt_key)
        logits = None if steps is None else steps.get((tuple(written), tuple(draft)))
        if logits is None:
            raise LogitsMiss
        self._prompts.move_to_end(prompt_key)
        return logits

    def put(
        self, prompt_key: bytes, written: Sequence[int], draft: Sequence[int], logits: np.ndarray
    ) -> None:
        steps = self._prompts.setdefault(prompt_key, {})
        steps[(tuple(written), tuple(draft))] = logits
        self._prompts.move_to_end(prompt_key)
        while len(self._prompts) > self.max_prompts:
            self._prompts.popitem(last=False)

    def clear(self) -> None:
        self._prompts.clear()
