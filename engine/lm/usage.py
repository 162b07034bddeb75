"""The usage ledger: a thread-safe record of every LM call (cached or not)."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from engine.core import settings

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
    # the kind of fault (engine.lm.calls.error_map.FAULT_KINDS) the call ended with: its error's, or
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
        # flat fields, read directly: `asdict`'s deep copy took 13% of a profiled instant call
        return {**{f.name: getattr(self, f.name) for f in fields(self)},
                "total_tokens": self.total_tokens}  # fmt: skip


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

    def __getstate__(self) -> dict[str, Any]:
        with self._lock:
            return {"records": list(self._records)}  # listeners are live objects: not kept

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._lock = threading.Lock()
        self._records = list(state.get("records", ()))
        self._listeners = []

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


class UsageTracker:
    """DSPy's usage tracker: per-LM lists of usage entries, summed by `get_total_tokens()`.

    `dspy.track_usage()` yields one; every uncached LM call inside adds
    `{"prompt_tokens", "completion_tokens", "total_tokens"}` under the LM's model name."""

    def __init__(self) -> None:
        self.usage_data: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
        self._lock = threading.Lock()

    def add_usage(self, lm: str, usage_entry: dict[str, Any]) -> None:
        """Add one call's usage under the model name `lm` (an empty entry is ignored)."""
        if usage_entry:
            flat = {
                k: v.model_dump() if hasattr(v, "model_dump") else v
                for k, v in usage_entry.items()
            }
            with self._lock:
                self.usage_data[lm].append(flat)

    def get_total_tokens(self) -> dict[str, dict[str, Any]]:
        """{model: summed usage}; nested dicts are summed key by key, flags are not summed."""
        with self._lock:
            data = {lm: list(entries) for lm, entries in self.usage_data.items()}
        totals: dict[str, dict[str, Any]] = {}
        for lm, entries in data.items():
            total: dict[str, Any] = {}
            for entry in entries:
                total = _merge_usage(total, entry)
            totals[lm] = total
        return totals

    def __getstate__(self) -> dict[str, Any]:
        return {"usage_data": dict(self.usage_data)}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.usage_data = defaultdict(list, state.get("usage_data", {}))
        self._lock = threading.Lock()


def _summable(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _merge_usage(left: dict[str, Any] | None, right: dict[str, Any] | None) -> dict[str, Any]:
    if not left:
        return dict(right or {})
    if not right:
        return dict(left)
    out = dict(left)
    for key, value in right.items():
        current = out.get(key)
        if isinstance(value, dict) or isinstance(current, dict):
            out[key] = _merge_usage(current, value)
        elif current is None:
            if value is not None:
                out[key] = value
        elif _summable(current) and _summable(value):
            out[key] = current + value
    return out


@contextmanager
def track_usage() -> Iterator[UsageTracker]:
    """Track the LM usage of the calls inside the block: yields a UsageTracker. A nested
    tracker adds what it saw to its parent's when the block ends (as DSPy)."""
    tracker = UsageTracker()
    parent = settings.usage_tracker
    with settings.context(usage_tracker=tracker):
        try:
            yield tracker
        finally:
            if parent is not None:
                for lm, entries in tracker.usage_data.items():
                    for entry in entries:
                        parent.add_usage(lm, entry)
