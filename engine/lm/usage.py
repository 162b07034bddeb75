"""The usage ledger: a thread-safe record of every LM call (cached or not)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from engine.settings import settings

EMBED_ROLE = "embed"  # embedding requests (engine.Embedder), counted apart from LM calls


@dataclass(frozen=True)
class CallRecord:
    """One LM call as the ledger, budgets, KPI cards and the run store see it."""

    model: str
    role: str = "task"
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float | None = None  # USD from litellm's price map; None when the model is unpriced
    latency: float = 0.0  # seconds
    cache_hit: bool = False
    error: str | None = None
    timestamp: float = field(default_factory=time.time)
    # the kind of fault (engine.lm.error_map.FAULT_KINDS) the call ended with: its error's, or
    # a reply issue ("empty_reply", "truncated") on a call that returned; None when clean
    fault: str | None = None
    retried: dict[str, int] = field(default_factory=dict)  # failed attempts retried, by kind

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def retries(self) -> int:
        return sum(self.retried.values())

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class UsageTotals:
    calls: int = 0
    uncached_calls: int = 0
    cache_hits: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    priced: bool = True  # False when at least one uncached call had no known price
    latency: float = 0.0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def add(self, record: CallRecord) -> None:
        self.calls += 1
        self.latency += record.latency
        if record.cache_hit:
            self.cache_hits += 1
            return
        self.uncached_calls += 1
        self.prompt_tokens += record.prompt_tokens
        self.completion_tokens += record.completion_tokens
        if record.cost is None:
            self.priced = False
        else:
            self.cost += record.cost

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "total_tokens": self.total_tokens}


class UsageLedger:
    """Collects CallRecords from any thread; listeners are told of each new record.

    Tokens and cost of cache hits are not counted as spent (nothing was paid); the call itself
    is counted, with `cache_hit=True`.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[CallRecord] = []
        self._listeners: list[Callable[[CallRecord], None]] = []

    def record(self, rec: CallRecord) -> None:
        with self._lock:
            self._records.append(rec)
            listeners = list(self._listeners)
        for listener in listeners:
            listener(rec)

    def subscribe(self, listener: Callable[[CallRecord], None]) -> None:
        with self._lock:
            self._listeners.append(listener)

    @property
    def records(self) -> list[CallRecord]:
        with self._lock:
            return list(self._records)

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)

    def totals(self, role: str | None = None) -> UsageTotals:
        """Totals over all records, or over one role's."""
        out = UsageTotals()
        for rec in self.records:
            if role is None or rec.role == role:
                out.add(rec)
        return out

    def by_role(self) -> dict[str, UsageTotals]:
        out: dict[str, UsageTotals] = {}
        for rec in self.records:
            out.setdefault(rec.role, UsageTotals()).add(rec)
        return out


def record_to_trackers(record: CallRecord) -> None:
    """Give `record` to every ledger active here (`settings.usage_trackers`: a run's ledger,
    a predictor's own), as the LM does for its calls."""
    for tracker in settings.usage_trackers:
        tracker.record(record)
