"""How many requests one LM keeps in flight: no cap until the provider rate-limits, then the
number it accepted, growing back by one after enough successes in a row.

Without it, every worker of a pool larger than the provider's limit sends, the extra ones get a
429, all wait the same Retry-After and collide again with the requests started meanwhile; some
calls run out of retries while others never wait. With it, a worker waits for a free slot
instead: as many requests stay in flight as the provider accepts, and a slot freed by one call
is taken by the next at once. Correct for every provider: a provider that never answers 429 is
never capped, and the cap only holds requests back, it never drops one.
"""

from __future__ import annotations

import threading

GROW_AFTER = 4  # successes in a row per slot of the cap before it grows by one


class ConcurrencyLimiter:
    """`with limiter.slot() as slot: ...; slot.rate_limited()` around each provider request."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.cap: int | None = None  # None: no cap (the provider never said no)
        self.in_flight = 0
        self._streak = 0

    def acquire(self) -> None:
        """Wait for a free slot under the cap, then take it."""
        with self._cond:
            while self.cap is not None and self.in_flight >= self.cap:
                self._cond.wait()
            self.in_flight += 1

    def try_acquire(self, timeout: float) -> bool:
        """Take a free slot, waiting at most `timeout` s for one; False if none came free."""
        with self._cond:
            if not self._cond.wait_for(
                lambda: self.cap is None or self.in_flight < self.cap, timeout=timeout
            ):
                return False
            self.in_flight += 1
            return True

    def release(self, *, rate_limited: bool) -> None:
        """Give the slot back. A rate-limited request caps the in-flight count at the requests
        still in flight (at least 1); `GROW_AFTER * cap` successes in a row raise the cap by 1."""
        with self._cond:
            self.in_flight -= 1
            if rate_limited:
                accepted = max(1, self.in_flight)
                self.cap = accepted if self.cap is None else max(1, min(self.cap, accepted))
                self._streak = 0
            elif self.cap is not None:
                self._streak += 1
                if self._streak >= GROW_AFTER * self.cap:
                    self.cap += 1
                    self._streak = 0
            self._cond.notify_all()
