"""The rows being evaluated right now, so a worker that dies mid-row can be told which.

`IN_FLIGHT.row(candidate, example_id)` brackets one evaluation (the shared loop in
`trial_rows.fill_rows` uses it); listeners hear the current set after every change. The run
worker writes it to its run folder, and its supervisor names those rows when the worker dies by a
signal (a native crash has no Python traceback to say it).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

Row = tuple[str, str]  # (candidate hash, example id)
Listener = Callable[[list[Row]], None]


class InFlightRows:
    """A thread-safe multiset of (candidate, example id) pairs being evaluated."""

    def __init__(self) -> None:
        self._rows: dict[Row, int] = {}
        self._lock = threading.Lock()
        self._listeners: list[Listener] = []

    @contextmanager
    def row(self, candidate: str, example_id: str) -> Iterator[None]:
        key = (candidate, example_id)
        self._change(key, +1)
        try:
            yield
        finally:
            self._change(key, -1)

    def snapshot(self) -> list[Row]:
        with self._lock:
            return sorted(self._rows)

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener(rows)` after every change; returns the unsubscribe function."""
        with self._lock:
            self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _change(self, key: Row, delta: int) -> None:
        with self._lock:
            count = self._rows.get(key, 0) + delta
            if count > 0:
                self._rows[key] = count
            else:
                self._rows.pop(key, None)
            rows, listeners = sorted(self._rows), list(self._listeners)
            for listener in listeners:  # under the lock: listeners hear the changes in order
                listener(rows)


IN_FLIGHT = InFlightRows()
