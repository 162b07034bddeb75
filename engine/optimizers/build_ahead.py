"""Build the next candidate while the current one is scored, when the LM serves calls at once.

An optimizer that makes candidates one after another (random search: bootstrap a demo set, then
score it on the valset) leaves a hosted provider's slots idle twice per candidate: while the
bootstrap waits on its few teacher calls, and while the last rows of a valset pass end. With
`BuildAhead(..., ahead=True)` candidate k+1 is built in one background thread while the caller
scores candidate k; `engine.parallel.shared_call_slots` keeps both under the one num_threads.
The candidates and their order are unchanged, so the search chooses the same program; what a
build ahead costs is one candidate's build when the search stops early. On the embedded model
(one call at a time) there is nothing to overlap, and building ahead would interleave two
prompts in its KV cache, so it is off there.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class BuildAhead(Generic[T, R]):
    """`take()` returns `build(item)` for the items in order; with `ahead`, the next item's
    build has started by then. Use as a context manager: leaving waits for a build in flight."""

    def __init__(self, build: Callable[[T], R], items: Iterable[T], ahead: bool) -> None:
        self._build = build
        self._items = list(items)
        self._next = 0
        self._pool = ThreadPoolExecutor(1, "tunesmith-build") if ahead else None
        self._pending: Future[R] | None = None

    def __enter__(self) -> BuildAhead[T, R]:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)

    def take(self) -> R:
        """The next item's build (raises what the build raised)."""
        if self._next >= len(self._items):
            raise StopIteration("every item was taken")
        item = self._items[self._next]
        self._next += 1
        if self._pool is None:
            return self._build(item)
        pending = self._pending if self._pending is not None else self._submit(item)
        self._pending = None
        result = pending.result()
        if self._next < len(self._items):
            self._pending = self._submit(self._items[self._next])
        return result

    def _submit(self, item: T) -> Future[R]:
        assert self._pool is not None
        return self._pool.submit(contextvars.copy_context().run, self._build, item)
