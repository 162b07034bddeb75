"""Parallel's straggler rule (DSPy's `timeout=`): once at most `straggler_limit` items are
still running, an item running for `timeout` seconds is submitted once more; the first of
its runs to finish counts."""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

Outcome = tuple[Any, BaseException | None]
_UNSET = object()


def map_with_stragglers(
    run_one: Callable[[Any], Outcome],
    items: list[Any],
    num_threads: int,
    timeout: float,
    straggler_limit: int,
    on_done: Callable[[int, Any, BaseException | None], None],
) -> list[Outcome]:
    """`run_one(item) -> (result, error)` for every item, stragglers resubmitted once."""
    results: list[Any] = [_UNSET] * len(items)
    started: dict[int, float] = {}  # submission id -> start time
    lock = threading.Lock()
    pool = ThreadPoolExecutor(max_workers=num_threads, thread_name_prefix="tunesmith")
    futures: dict[Future, tuple[int, int]] = {}  # future -> (submission id, item index)
    resubmitted: set[Future] = set()

    def worker(sid: int, item: Any) -> Outcome:
        with lock:
            started[sid] = time.monotonic()
        return run_one(item)

    def submit(index: int) -> None:
        sid = len(futures)
        context = contextvars.copy_context()
        futures[pool.submit(context.run, worker, sid, items[index])] = (sid, index)

    try:
        for index in range(len(items)):
            submit(index)
        pending = set(futures)
        while pending and any(r is _UNSET for r in results):
            done, pending = wait(pending, timeout=min(1.0, timeout), return_when=FIRST_COMPLETED)
            for future in done:
                _, index = futures[future]
                if results[index] is _UNSET:
                    results[index] = future.result()
                    on_done(index, *results[index])
            open_items = [f for f in pending if results[futures[f][1]] is _UNSET]
            if len(open_items) > straggler_limit:
                continue
            now = time.monotonic()
            for future in open_items:
                sid, index = futures[future]
                with lock:
                    began = started.get(sid)
                if future not in resubmitted and began is not None and now - began >= timeout:
                    resubmitted.add(future)
                    submit(index)
                    pending.add(next(reversed(futures)))
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return [(None, None) if r is _UNSET else r for r in results]
