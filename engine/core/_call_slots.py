"""Shared call slots: one cap on the LM requests in flight across several pools, served by
priority.

`shared_call_slots(n)` opens a block in which (and in pools started from it, which copy the
caller's context) at most n requests are in flight at once, however many pools run side by side:
work that overlaps two batches keeps the caller's num_threads. Each request waits in
`call_slot()`; a free slot goes to the waiting request of lowest `call_priority` (then first
come), so work for an earlier candidate runs first and later work fills the slots it leaves.
"""

from __future__ import annotations

import contextlib
import contextvars
import heapq
import itertools
import threading
from collections.abc import Iterator


class PrioritySlots:
    """n slots; `acquire(priority)` waits until a slot is free and no waiting request has a
    lower priority (ties: first come, first served)."""

    def __init__(self, slots: int) -> None:
        self._free = max(1, int(slots))
        self._cond = threading.Condition()
        self._waiting: list[tuple[float, int]] = []
        self._tickets = itertools.count()

    def acquire(self, priority: float = 0.0) -> None:
        with self._cond:
            entry = (priority, next(self._tickets))
            heapq.heappush(self._waiting, entry)
            while self._free == 0 or self._waiting[0] != entry:
                self._cond.wait()
            heapq.heappop(self._waiting)
            self._free -= 1
            self._cond.notify_all()  # the next in line may take another free slot

    def release(self) -> None:
        with self._cond:
            self._free += 1
            self._cond.notify_all()


_CALL_SLOTS: contextvars.ContextVar[PrioritySlots | None] = contextvars.ContextVar(
    "tunesmith_call_slots", default=None
)
_PRIORITY: contextvars.ContextVar[float] = contextvars.ContextVar(
    "tunesmith_call_priority", default=0.0
)


@contextlib.contextmanager
def shared_call_slots(slots: int) -> Iterator[None]:
    """At most `slots` LM requests in flight inside this block, across all its pools."""
    token = _CALL_SLOTS.set(PrioritySlots(slots))
    try:
        yield
    finally:
        _CALL_SLOTS.reset(token)


@contextlib.contextmanager
def call_priority(priority: float) -> Iterator[None]:
    """Requests made inside this block (and its pools) wait for slots with this priority
    (lower first)."""
    token = _PRIORITY.set(priority)
    try:
        yield
    finally:
        _PRIORITY.reset(token)


@contextlib.contextmanager
def call_slot() -> Iterator[None]:
    """Hold one of the shared call slots for one LM request (no-op outside `shared_call_slots`)."""
    slots = _CALL_SLOTS.get()
    if slots is None:
        yield
        return
    slots.acquire(_PRIORITY.get())
    try:
        yield
    finally:
        slots.release()
