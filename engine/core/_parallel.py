"""The engine's one thread pool helper: runs work items with the caller's settings context
(the cap on requests in flight across pools: `engine.core._call_slots`)."""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Protocol, TypeVar

from engine.core._settings import settings

T = TypeVar("T")
R = TypeVar("R")


def lm_threads(requested: int | None = None) -> int:
    """Threads for a batch of LM work: `requested`, else `settings.num_threads`; but 1 when the
    configured LM serves one call at a time (the embedded model, behind one lock). More threads
    would not make it faster, only interleave the calls: a parse-fallback call would no longer
    follow the call it retries, and llama.cpp would re-read the prompt they share."""
    threads = requested or settings.num_threads
    lm = settings.lm  # None stands for the embedded model
    if lm is None or getattr(lm, "serves_one_call_at_a_time", False):
        return 1
    return max(1, int(threads))


class Offload(Protocol):
    """Where `parallel_map` may send its items' work instead of this process (a pool of Ray
    actors: `engine.runs.cluster._pool`). `offload(fn, num_threads)` returns a stand-in for `fn`
    that runs it elsewhere and blocks for its result (raising what `fn` raised), and how many
    local threads should call it at once."""

    def offload(self, fn: Callable[[T], R], num_threads: int) -> tuple[Callable[[T], R], int]:
        """(the stand-in for `fn`, local threads to run it on)."""
        ...


def parallel_map(
    fn: Callable[[T], R],
    items: Iterable[T],
    num_threads: int = 1,
    on_done: Callable[[int, R | None, BaseException | None], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    offload: Offload | None = None,
) -> list[tuple[R | None, BaseException | None]]:
    """Apply `fn` to every item, in order of results, never raising for one item.

    Returns `(result, error)` per item in input order. Each worker thread runs inside a copy of
    the caller's `contextvars` context, so `engine.context(...)` overrides (LM, usage trackers,
    budget, trace) apply inside the pool. `on_done(index, result, error)` is called as items
    finish (from the calling thread). If `should_stop()` turns true, items not yet started are
    skipped and reported with a `StopIteration` error. With `offload`, each item's `fn` runs
    where it says (the same loop, stop checks and callbacks here).
    """
    items = list(items)
    if offload is not None:
        fn, num_threads = offload.offload(fn, num_threads)
    out: list[tuple[R | None, BaseException | None]] = [(None, None)] * len(items)

    def run_one(item: T) -> tuple[R | None, BaseException | None]:
        if should_stop is not None and should_stop():
            return None, StopIteration("stopped before start")
        try:
            return fn(item), None
        except Exception as exc:  # one bad item never kills the batch
            return None, exc

    if num_threads <= 1 or len(items) <= 1:
        for index, item in enumerate(items):
            out[index] = contextvars.copy_context().run(run_one, item)
            if on_done is not None:
                on_done(index, *out[index])
        return out

    with ThreadPoolExecutor(max_workers=num_threads, thread_name_prefix="tunesmith") as pool:
        futures = {
            pool.submit(contextvars.copy_context().run, run_one, item): index
            for index, item in enumerate(items)
        }
        for future in as_completed(futures):
            index = futures[future]
            out[index] = future.result()
            if on_done is not None:
                on_done(index, *out[index])
    return out
