"""A circuit breaker for runs: stop asking an LM that keeps failing.

A run whose every call fails (a wrong key, a model that does not exist, a provider that is
down) would otherwise score every example 0 after retrying each call, spending time and budget.
`FailureBreaker` watches a usage ledger: after `max_consecutive` failed calls in a row with no
success in between, or one failure no retry can fix (authentication, model not found), the
next `check()` raises LMUnavailable with the reason, and the run ends there.
"""

from __future__ import annotations

import threading

from engine.core import LMUnavailable
from engine.lm.calls.error_map import FATAL_FAULTS, WORKER_LOST
from engine.lm.usage import CallRecord, UsageLedger

MAX_CONSECUTIVE_FAILURES = 5


class FailureBreaker:
    """Counts consecutive failed LM calls of the ledgers it watches (new records only)."""

    def __init__(self, max_consecutive: int = MAX_CONSECUTIVE_FAILURES) -> None:
        self.max_consecutive = max(1, int(max_consecutive))
        self._lock = threading.Lock()
        self._watched: set[int] = set()
        self.consecutive = 0
        self.reason: str | None = None

    @property
    def tripped(self) -> bool:
        return self.reason is not None

    @property
    def watching(self) -> bool:
        """True once the breaker counts some ledger's records."""
        return bool(self._watched)

    def watch(self, ledger: UsageLedger) -> None:
        """Count the ledger's future records (not earlier ones: a resumed run starts afresh)."""
        with self._lock:
            if id(ledger) in self._watched:
                return
            self._watched.add(id(ledger))
        ledger.subscribe(self.on_record)

    def on_record(self, record: CallRecord) -> None:
        if record.cache_hit or record.fault == WORKER_LOST:  # the model did not fail
            return
        with self._lock:
            if record.error is None:
                self.consecutive = 0
                return
            self.consecutive += 1
            if self.reason is not None:
                return
            if record.fault in FATAL_FAULTS:
                self.reason = f"stopped early: {record.error}"
            elif self.consecutive >= self.max_consecutive:
                retried = " after retries" if record.retries else ""
                self.reason = (
                    f"stopped early: the last {self.consecutive} LM calls to {record.model!r} "
                    f"all failed{retried}, so the run stopped instead of spending its budget on "
                    f"errors. Fix the cause and resume the run. Last error: {record.error}"
                )

    def trip(self, reason: str) -> None:
        """Stop the run's LM calls for a reason found elsewhere (its Ray cluster was lost)."""
        with self._lock:
            self.reason = self.reason or reason

    def check(self) -> None:
        """Raise LMUnavailable (with the reason) once the breaker has tripped."""
        if self.reason is not None:
            raise LMUnavailable(self.reason, limit="lm_failures")
