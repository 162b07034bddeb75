"""Prepare the next candidates while the current one is scored, when the LM serves calls at once.

An optimizer that makes candidates one after another (random search: bootstrap a demo set, then
score it on the valset) leaves a hosted provider's slots idle: while a bootstrap waits on its
few teacher calls, while the last rows of a valset pass end, and when a raced candidate stops.
`BuildAhead(build, items, ahead=n)` keeps the builds of the next `n` items running in background
threads while the caller works on the item it took (`engine.core.shared_call_slots` keeps
them all under the one num_threads). The caller takes results in item order, so what it records
comes in the same order as one at a time. What a build ahead costs is the work of the builds in
flight when the caller stops early. On the embedded model (one call at a time) there is nothing
to overlap, and building ahead would interleave prompts in its KV cache: `ahead=0` builds in line.
"""

from __future__ import annotations

import contextvars
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class BuildAhead(Generic[T, R]):
    """`take()` returns `build(item)` for the items in order; with `ahead=n`, the first n builds
    start at once, and each take starts the next one. Use as a context manager: leaving waits
    for the builds in flight. `admit(unfinished)` (optional) says whether the next item may be
    built ahead while `unfinished` items before it are not yet done (e.g. only when the caller
    will surely take it); an item not admitted is built in line when taken."""

    def __init__(
        self,
        build: Callable[[T], R],
        items: Iterable[T],
        ahead: int,
        admit: Callable[[int], bool] | None = None,
    ) -> None:
        self._build = build
        self._admit = admit or (lambda unfinished: True)
        self._items = list(items)
        self._next = 0  # the next item to submit (or, in line, to build)
        self._ahead = max(0, int(ahead))
        self._pool = ThreadPoolExecutor(self._ahead, "tunesmith-build") if self._ahead else None
        self._pending: deque[Future[R]] = deque()
        if self._pool is not None:
            self._top_up()  # the first builds start now

    def __enter__(self) -> BuildAhead[T, R]:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)

    def take(self) -> R:
        """The next item's build (raises what the build raised)."""
        if self._pool is None:
            if self._next >= len(self._items):
                raise StopIteration("every item was taken")
            self._next += 1
            return self._build(self._items[self._next - 1])
        self._top_up()
        if not self._pending:
            if self._next >= len(self._items):
                raise StopIteration("every item was taken")
            self._next += 1  # not admitted ahead: built now, in line
            result = self._build(self._items[self._next - 1])
        else:
            result = self._pending.popleft().result()
        self._top_up(working=1)
        return result

    def _top_up(self, working: int = 0) -> None:
        """Submit items until `ahead` builds are pending, none is left or the next one is not
        admitted (`working`: items taken and still being worked on)."""
        assert self._pool is not None
        while (
            len(self._pending) < self._ahead
            and self._next < len(self._items)
            and self._admit(len(self._pending) + working)
        ):
            item = self._items[self._next]
            self._next += 1
            self._pending.append(
                self._pool.submit(contextvars.copy_context().run, self._build, item)
            )
