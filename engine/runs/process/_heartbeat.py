"""The worker's heartbeat: a thread that stamps `runs.heartbeat` and reads the cancel flag."""

from __future__ import annotations

import logging
import threading

from engine.runs.store import RunStore, StoreAt

logger = logging.getLogger(__name__)

INTERVAL = 2.0  # seconds between beats; liveness.STALE_AFTER must be several times this


class Heartbeat:
    """`start()` a daemon thread that beats every INTERVAL seconds on its own connection.

    `cancelled()` (called between trials) is True once the run's cancel flag is set in the
    store or the process received SIGTERM (`request_local_cancel`).
    """

    _local_cancel = threading.Event()

    def __init__(self, db_path: StoreAt, run_id: str, interval: float = INTERVAL) -> None:
        self.db_path, self.run_id, self.interval = db_path, run_id, interval
        self._stop = threading.Event()
        self._cancel = threading.Event()
        self._lock = threading.Lock()
        self._store: RunStore | None = None
        self._thread = threading.Thread(target=self._loop, name=f"heartbeat-{run_id}", daemon=True)

    @classmethod
    def request_local_cancel(cls) -> None:
        """Ask every run in this process to stop between trials (the SIGTERM handler)."""
        cls._local_cancel.set()

    def cancelled(self) -> bool:
        if not (self._cancel.is_set() or self._local_cancel.is_set()):
            self._check_cancel()
        return self._cancel.is_set() or self._local_cancel.is_set()

    def start(self) -> None:
        self._store = RunStore(self.db_path)
        self._beat()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=self.interval * 2)
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None

    def _check_cancel(self) -> None:
        with self._lock:
            try:
                if self._store is not None and self._store.cancel_requested(self.run_id):
                    self._cancel.set()
            except Exception:
                logger.warning(
                    "reading the cancel flag of run %s failed", self.run_id, exc_info=True
                )

    def _beat(self) -> None:
        with self._lock:
            try:
                if self._store is not None:
                    self._store.heartbeat(self.run_id)
            except Exception:  # a missed beat is not fatal; the next one retries
                logger.warning("heartbeat of run %s failed", self.run_id, exc_info=True)
        self._check_cancel()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self._beat()
