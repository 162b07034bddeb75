"""Saved prompt prefixes for the embedded model: KV states kept aside and restored later.

llama.cpp keeps the KV cache of one prompt, so a prompt sharing a prefix with the previous one
only pays for its new suffix. Work that alternates between prompts loses that: a bootstrapping
teacher whose demo list changes for one example and then comes back, a parse-fallback call in
another format between two calls of one candidate, a candidate scored again after another one.
Each switch back re-reads the whole shared prefix (~1.8 s for 500 tokens on SmolLM2, 2 cores).

`PrefixStates.prepare(prompt)` runs before every call. When the new prompt would discard a
long prefix of the live cache that an earlier prompt (of the last 8) shared too, such as a
system message with demos, that prefix's KV state is copied aside (llama.cpp's per-sequence
state API, ~23 KB per token on SmolLM2); so is the whole live cache when the new prompt shares
more of it than any earlier prompt did and still leaves it early (a bootstrapping teacher's
first run, then a run whose own example is cut from the demos: without it the teacher's next
run read ~650 tokens again, ~2 s). When a saved prefix matches the new prompt further than the
live cache does, it is copied back. The least recently used saved states go first
when they pass a byte budget (`TUNESMITH_LOCAL_PREFIX_MB`, default 256; 0 turns this off).
Restoring gives llama.cpp the KV values it computed before, so replies do not change. The
caller holds the model's lock.
"""

from __future__ import annotations

import ctypes
import logging
import os
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

BUDGET_ENV = "TUNESMITH_LOCAL_PREFIX_MB"
DEFAULT_BUDGET_MB = 256  # ~11k tokens of SmolLM2: the last ~20 candidate prompts
MIN_GAIN = 16  # tokens: save or restore only when that many more would be reused (~5 ms)
RECENT = 8  # prompts remembered to tell which prefixes recur
SEQ = 0  # llama-cpp-python keeps every prompt in sequence 0


def common_prefix_length(cached: Any, prompt: Any) -> int:
    """How many leading tokens two token sequences share."""
    n = min(len(cached), len(prompt))
    if n == 0:
        return 0
    differ = np.nonzero(np.asarray(cached[:n]) != np.asarray(prompt[:n]))[0]
    return int(differ[0]) if len(differ) else n


@dataclass(eq=False)  # identity: field-wise == would compare token arrays element by element
class SavedPrefix:
    """The KV state of sequence 0 holding exactly `tokens`."""

    tokens: np.ndarray
    state: Any  # ctypes uint8 array
    size: int
    last_used: int


@dataclass
class PrefixStats:
    """What the store did, for logs and tests."""

    saved: int = 0
    restored: int = 0
    evicted: int = 0
    restored_tokens: int = 0


class PrefixStates:
    """Saved KV prefixes of one `llama_cpp.Llama` (not thread-safe; used under its lock)."""

    def __init__(self, llama: Any, budget_bytes: int | None = None) -> None:
        self.llama = llama
        if budget_bytes is None:
            budget_bytes = int(float(os.environ.get(BUDGET_ENV, DEFAULT_BUDGET_MB)) * 2**20)
        self.budget_bytes = budget_bytes
        self.saved: list[SavedPrefix] = []
        self.stats = PrefixStats()
        self._recent: deque[np.ndarray] = deque(maxlen=RECENT)
        self._stable = 0  # how much of the live prompt an earlier prompt shared: worth keeping
        self._clock = 0

    @property
    def bytes_used(self) -> int:
        return sum(s.size for s in self.saved)

    def prepare(self, prompt: Sequence[int]) -> int:
        """Get the KV cache ready for `prompt`: keep the live stable prefix if `prompt` would
        discard it, restore a saved prefix that matches `prompt` further. Returns the tokens of
        `prompt` the cache now holds."""
        prompt = np.asarray(prompt, dtype=np.intc)
        llama = self.llama
        reuse = common_prefix_length(llama.input_ids[: llama.n_tokens], prompt)
        if self.budget_bytes > 0:
            stable = min(self._stable, llama.n_tokens)
            if stable - reuse >= MIN_GAIN:
                self._save(stable)
            elif reuse - stable >= MIN_GAIN and llama.n_tokens - reuse >= MIN_GAIN:
                # `prompt` is the second of a family the live prompt began, and leaves it early:
                # a teacher's first run, then one whose own example was cut from the demos.
                # The family's next prompts share the live prompt up to their question.
                self._save(llama.n_tokens)
            best, best_reuse = self._best_match(prompt)
            if best is not None and best_reuse - reuse >= MIN_GAIN:
                reuse = best_reuse if self._restore(best) else 0
        self._stable = max((common_prefix_length(r, prompt) for r in self._recent), default=0)
        self._recent.append(prompt)
        return reuse

    def clear(self) -> None:
        """Forget every saved prefix (the live cache is untouched)."""
        self.saved.clear()

    # -- internals ----------------------------------------------------------------------------
    def _best_match(self, prompt: np.ndarray) -> tuple[SavedPrefix | None, int]:
        best, best_reuse = None, 0
        for saved in self.saved:
            # A full match still leaves the last prompt token to read (for fresh logits).
            reuse = min(common_prefix_length(saved.tokens, prompt), len(prompt) - 1)
            if reuse > best_reuse:
                best, best_reuse = saved, reuse
        return best, best_reuse

    def _save(self, length: int) -> None:
        """Cut the live cache to its first `length` tokens and copy that state aside."""
        import llama_cpp

        llama = self.llama
        tokens = np.array(llama.input_ids[:length], dtype=np.intc)
        if any(
            len(s.tokens) >= length and np.array_equal(s.tokens[:length], tokens)
            for s in self.saved
        ):
            return  # a saved prefix already covers this one
        llama._ctx.kv_cache_seq_rm(-1, length, -1)
        llama.n_tokens = length
        size = int(llama_cpp.llama_state_seq_get_size(llama._ctx.ctx, SEQ))
        if size <= 0 or size > self.budget_bytes:
            return
        state = (ctypes.c_uint8 * size)()
        written = int(llama_cpp.llama_state_seq_get_data(llama._ctx.ctx, state, size, SEQ))
        if written <= 0:
            logger.debug("local model: could not save a %d-token prefix", length)
            return
        self._clock += 1
        # A saved prefix that this one extends is superseded (it can only match less).
        self.saved = [
            s
            for s in self.saved
            if not (len(s.tokens) < length and np.array_equal(s.tokens, tokens[: len(s.tokens)]))
        ]
        self.saved.append(SavedPrefix(tokens, state, written, self._clock))
        self.stats.saved += 1
        while self.bytes_used > self.budget_bytes:
            self.saved.remove(min(self.saved, key=lambda s: s.last_used))
            self.stats.evicted += 1

    def _restore(self, saved: SavedPrefix) -> bool:
        """Replace the live cache with `saved`; False (and an empty cache) if llama.cpp refused."""
        import llama_cpp

        llama = self.llama
        llama._ctx.kv_cache_seq_rm(-1, 0, -1)
        read = int(llama_cpp.llama_state_seq_set_data(llama._ctx.ctx, saved.state, saved.size, SEQ))
        if read <= 0:  # the cache is empty now, which is still consistent
            llama.n_tokens = 0
            logger.debug("local model: could not restore a %d-token prefix", len(saved.tokens))
            return False
        length = len(saved.tokens)
        llama.input_ids[:length] = saved.tokens
        llama.n_tokens = length
        llama._requires_eval = True
        self._clock += 1
        saved.last_used = self._clock
        self.stats.restored += 1
        self.stats.restored_tokens += length
        return True
