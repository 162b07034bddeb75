"""Budget: limits checked before every uncached LM call (calls, tokens, cost, time, overall
and per role), with the failure breaker that stops calls that keep failing. The LM consults
`settings.budget` before each call; optimizers and Evaluate install one."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

from engine.core import BudgetExhausted, settings
from engine.lm.calls.breaker import FailureBreaker
from engine.lm.usage import CallRecord, UsageLedger

LIMITS = ("max_calls", "max_tokens", "max_cost", "max_seconds")


@dataclass
class _Spent:
    calls: int = 0
    tokens: int = 0
    cost: float = 0.0


class Budget:
    """Limits on LM calls, tokens, cost (USD) and wall time, overall and per role.

    `per_role={"task": {"max_calls": 100}, "judge": {"max_cost": 0.5}}` adds limits for one role
    (task / proposer / judge). Install it with `engine.context(budget=...)`: every uncached LM
    call first calls `before_call(role, model)`, which raises BudgetExhausted when a limit is
    reached. Calls are counted when granted (so parallel callers can never overshoot
    `max_calls`); tokens and cost are read from the attached ledger's records, so a limit on
    those can be passed by at most the calls already in flight. Time counts from `start()`
    (called by the first `attach`/`before_call`). Every budget also holds a FailureBreaker
    over its attached ledgers: after repeated or unfixable LM failures `before_call` raises
    LMUnavailable (a BudgetExhausted), so a run does not spend its limits on errors.
    """

    def __init__(
        self,
        max_calls: int | None = None,
        max_tokens: int | None = None,
        max_cost: float | None = None,
        max_seconds: float | None = None,
        per_role: dict[str, dict[str, Any]] | None = None,
        breaker: FailureBreaker | None = None,
    ) -> None:
        self.breaker = breaker if breaker is not None else FailureBreaker()
        self.max_calls = max_calls
        self.max_tokens = max_tokens
        self.max_cost = max_cost
        self.max_seconds = max_seconds
        self.per_role = {role: dict(limits) for role, limits in (per_role or {}).items()}
        for role, limits in self.per_role.items():
            unknown = set(limits) - set(LIMITS)
            if unknown:
                raise ValueError(
                    f"unknown budget limit(s) {sorted(unknown)} for role {role!r}; known: {LIMITS}"
                )
        self._lock = threading.Lock()
        self._total = _Spent()
        self._roles: dict[str, _Spent] = {}
        self._ledgers: list[int] = []
        self._started: float | None = None

    # -- wiring -----------------------------------------------------------------------------
    def start(self) -> None:
        """Start the clock for `max_seconds` (idempotent)."""
        if self._started is None:
            self._started = time.monotonic()

    def attach(self, ledger: UsageLedger) -> None:
        """Count the ledger's uncached records (existing and future) toward tokens and cost.

        Existing uncached records also count as calls already made (e.g. before a resume).
        Attaching the same ledger twice has no effect.
        """
        with self._lock:
            if id(ledger) in self._ledgers:
                return
            self._ledgers.append(id(ledger))
            for record in ledger.records:
                if not record.cache_hit:
                    self._add_calls(record.role, 1)
                    self._add_usage(record)
        ledger.subscribe(self._on_record)
        self.breaker.watch(ledger)
        self.start()

    def _on_record(self, record: CallRecord) -> None:
        if record.cache_hit:
            return
        with self._lock:
            self._add_usage(record)

    def count_calls(self, role: str, n: int) -> None:
        """Count `n` calls of `role` made elsewhere (not granted by `before_call`)."""
        with self._lock:
            self._add_calls(role, n)

    def count_usage(self, record: CallRecord) -> None:
        """Count the tokens and cost of one finished call."""
        with self._lock:
            self._add_usage(record)

    def _add_calls(self, role: str, n: int) -> None:
        self._total.calls += n
        self._roles.setdefault(role, _Spent()).calls += n

    def _add_usage(self, record: CallRecord) -> None:
        for spent in (self._total, self._roles.setdefault(record.role, _Spent())):
            spent.tokens += record.total_tokens
            spent.cost += record.cost or 0.0

    # -- checking ---------------------------------------------------------------------------
    def elapsed(self) -> float:
        return 0.0 if self._started is None else time.monotonic() - self._started

    def _over(self, limits: dict[str, Any], spent: _Spent, scope: str) -> str | None:
        checks = (
            ("max_calls", spent.calls, "LM calls"),
            ("max_tokens", spent.tokens, "tokens"),
            ("max_cost", spent.cost, "USD"),
            ("max_seconds", self.elapsed(), "seconds"),
        )
        for name, used, unit in checks:
            limit = limits.get(name)
            if limit is not None and used >= limit:
                return f"{scope}{name}={limit} reached ({round(used, 4)} {unit} used)"
        return None

    def exceeded(self, role: str | None = None) -> str | None:
        """Why the next call (of `role`) would be refused, or None if it is allowed."""
        with self._lock:
            return self._exceeded(role)

    def _exceeded(self, role: str | None) -> str | None:
        overall = {name: getattr(self, name) for name in LIMITS}
        reason = self._over(overall, self._total, "")
        if reason is None and role is not None and role in self.per_role:
            reason = self._over(self.per_role[role], self._roles.get(role, _Spent()), f"{role}.")
        return reason

    def before_call(self, role: str, model: str) -> None:
        """Grant one LM call of `role` or raise BudgetExhausted (naming the limit reached);
        LMUnavailable once the breaker has tripped."""
        self.breaker.check()
        with self._lock:
            self.start()
            reason = self._exceeded(role)
            if reason is not None:
                raise BudgetExhausted(
                    f"budget exhausted before a {role} call to {model}: {reason}",
                    limit=reason.split("=")[0],
                )
            self._add_calls(role, 1)

    # -- reporting --------------------------------------------------------------------------
    def spent(self) -> dict[str, Any]:
        """{"calls", "tokens", "cost", "seconds", "by_role": {role: {calls, tokens, cost}}}."""
        with self._lock:
            return {
                **asdict(self._total),
                "seconds": round(self.elapsed(), 3),
                "by_role": {role: asdict(s) for role, s in self._roles.items()},
            }

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {name: getattr(self, name) for name in LIMITS}
        out["per_role"] = {role: dict(limits) for role, limits in self.per_role.items()}
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Budget:
        data = dict(data or {})
        return cls(**{name: data.get(name) for name in LIMITS}, per_role=data.get("per_role"))

    def __repr__(self) -> str:
        limits = ", ".join(f"{k}={v}" for k, v in self.to_dict().items() if v)
        return f"Budget({limits})"


@contextmanager
def failure_guard() -> Iterator[Budget]:
    """Within this block, LM calls stop early when they keep failing (see FailureBreaker).

    The one place every run gets its breaker (optimizers' `compile`, `Evaluate`): the current
    budget's breaker is used, watching a ledger of this block's calls when it watches none yet;
    with no budget installed, an unlimited Budget is."""
    budget = settings.budget
    if isinstance(budget, Budget) and budget.breaker.watching:
        yield budget
        return
    ledger = UsageLedger()
    if isinstance(budget, Budget):
        budget.breaker.watch(ledger)
    else:
        budget = Budget()
        budget.attach(ledger)
    with settings.context(budget=budget, usage_trackers=(*settings.usage_trackers, ledger)):
        yield budget
