"""The per-prompt logits of closed replies: lookups by step, misses, and the prompt limit."""

import numpy as np
import pytest

from engine.lm.local._closed_logits import ClosedLogits, LogitsMiss


def test_steps_are_found_by_prompt_written_tokens_and_draft():
    cache = ClosedLogits()
    key = ClosedLogits.key([1, 2, 3])
    assert key == ClosedLogits.key(np.array([1, 2, 3])) != ClosedLogits.key([1, 2, 4])
    cache.put(key, [], [7, 8], np.array([0.5, 1.5]))
    assert cache.get(key, (), (7, 8)).tolist() == [0.5, 1.5]
    with pytest.raises(LogitsMiss):
        cache.get(key, [9], [7, 8])  # another path through the reply
    with pytest.raises(LogitsMiss):
        cache.get(ClosedLogits.key([1, 2, 4]), [], [7, 8])


def test_the_least_recently_used_prompts_go_first():
    cache = ClosedLogits(max_prompts=2)
    keys = [ClosedLogits.key([i]) for i in range(3)]
    cache.put(keys[0], [], [], np.zeros(1))
    cache.put(keys[1], [], [], np.zeros(1))
    cache.get(keys[0], [], [])  # used again: the first prompt is now the newest
    cache.put(keys[2], [], [], np.zeros(1))
    cache.get(keys[0], [], [])
    with pytest.raises(LogitsMiss):
        cache.get(keys[1], [], [])
