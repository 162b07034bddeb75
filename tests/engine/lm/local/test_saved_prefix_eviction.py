"""Evicting a saved prefix from the list (a recorded fault: `operands could not be broadcast
together with shapes (363,) (352,)` from the RAG sample's real-model run, when the least
recently used prefix was not the first in the list)."""

from __future__ import annotations

import numpy as np

from engine.lm.local._prefixes import SavedPrefix


def prefix(n: int, last_used: int) -> SavedPrefix:
    return SavedPrefix(np.arange(n, dtype=np.intc), state=None, size=n, last_used=last_used)


def test_removing_the_least_recent_of_prefixes_of_other_lengths():
    saved = [prefix(363, 5), prefix(352, 1), prefix(352, 3)]
    saved.remove(min(saved, key=lambda s: s.last_used))
    assert [s.last_used for s in saved] == [5, 3]


def test_equal_tokens_are_still_two_prefixes():
    a, b = prefix(10, 1), prefix(10, 2)
    assert a != b and a == a
