"""One budget and one rate limit for a run spread over a Ray cluster (docs/SCALE.md).

A named actor (`BudgetKeeper`, one per run) holds the run's `Budget` and the provider's
`ConcurrencyLimiter`; every process of the run asks it before each LM call through a
`SharedBudget` and a `SharedLimiter`. Tokens and cost are counted from the worker's ledger only.
The keeper also journals each row's calls while the row is out (`CallJournal`), so the calls of
a row whose actor died still reach the worker's ledger. Ray is imported on first use.
"""

from __future__ import annotations

import threading
from typing import Any

from engine.core import BudgetExhausted
from engine.lm.budget import LIMITS, Budget
from engine.lm.calls.error_map import WORKER_LOST
from engine.lm.calls.limiter import ConcurrencyLimiter
from engine.lm.usage import CallRecord

ACQUIRE_WAIT = 1.0  # seconds one ask for a limiter slot waits in the keeper before asking again
KEEPER_THREADS = 64  # concurrent asks the keeper serves (callers waiting for a slot included)
LOST_CALL_WORDS = (
    "the Ray worker making this call stopped before it answered; the row was scored again "
    "elsewhere"
)


class CallJournal:
    """Each row's calls while the row is out on an actor, by the row's token (one per send):
    charged when granted, settled with their records when they return. `take` hands a lost
    row's calls to the worker (a call never settled as a `worker_lost` record)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._charged: dict[str, list[tuple[str, str]]] = {}  # token -> (role, model) per call
        self._settled: dict[str, list[CallRecord]] = {}

    def charge(self, token: str, role: str, model: str) -> None:
        with self._lock:
            self._charged.setdefault(token, []).append((role, model))

    def settle(self, token: str, record: CallRecord) -> None:
        with self._lock:
            if token in self._charged:  # else the row was already taken or dropped
                self._settled.setdefault(token, []).append(record)

    def drop(self, token: str) -> None:
        """The row came back with its records: forget its calls."""
        with self._lock:
            self._charged.pop(token, None)
            self._settled.pop(token, None)

    def take(self, token: str) -> list[CallRecord]:
        """The calls of a row that never came back: their records, and for each call that
        never answered, a record saying so (no tokens, no cost)."""
        with self._lock:
            charged = self._charged.pop(token, [])
            settled = self._settled.pop(token, [])
        lost = [
            CallRecord(model=model, role=role, cost=0.0, error=LOST_CALL_WORDS,
                       fault=WORKER_LOST)  # fmt: skip
            for role, model in charged[len(settled):]
        ]
        return [*settled, *lost]

    def journal_rows(self) -> int:
        """Rows out on actors with calls in the journal."""
        with self._lock:
            return len(self._charged)


class BudgetKeeper(CallJournal):
    """The run's budget and limiter, in one place (made a Ray actor by `start_keeper`), with
    the journal of the rows out on actors."""

    def __init__(self, limits: dict[str, Any]) -> None:
        super().__init__()
        self.budget = Budget.from_dict(limits)
        self.limiter = ConcurrencyLimiter()
        self._granted = 0  # calls granted here, under the budget or not

    def before_call(
        self, role: str, model: str, token: str | None = None, enforce: bool = True
    ) -> tuple[str, str] | None:
        """None: the call is granted (counted, and charged to the row `token` in the journal);
        else (message, limit) of the refusal. `enforce=False`: granted whatever the limits and
        not counted in the budget (a row scored outside it), only journaled."""
        if enforce:
            try:
                self.budget.before_call(role, model)
            except BudgetExhausted as exc:
                return str(exc), exc.limit or ""
        with self._lock:
            self._granted += 1
        if token is not None:
            self.charge(token, role, model)
        return None

    def granted(self) -> int:
        """Calls granted by this keeper (budgeted or not): the count the ledger must match."""
        with self._lock:
            return self._granted

    def count_calls(self, role: str, n: int) -> None:
        """Calls made before the keeper existed (an earlier attempt of the run)."""
        self.budget.count_calls(role, n)

    def count_usage(self, record: CallRecord) -> None:
        """Tokens and cost of one finished call."""
        self.budget.count_usage(record)

    def exceeded(self, role: str | None) -> str | None:
        return self.budget.exceeded(role)

    def spent(self) -> dict[str, Any]:
        return self.budget.spent()

    def acquire(self, timeout: float) -> bool:
        """Take a limiter slot, waiting at most `timeout` s; False if none came free."""
        return self.limiter.try_acquire(timeout)

    def release(self, rate_limited: bool) -> None:
        self.limiter.release(rate_limited=rate_limited)

    def limiter_cap(self) -> int | None:
        return self.limiter.cap


def keeper_name(run_id: str) -> str:
    """The keeper's actor name in the cluster."""
    return f"tunesmith-budget-{run_id}"


def start_keeper(run_id: str, budget: Budget | None) -> Any:
    """Start the run's keeper (replacing one left by an earlier attempt) with `budget`'s limits;
    returns its actor handle."""
    import ray

    try:
        ray.kill(ray.get_actor(keeper_name(run_id)))
    except ValueError:  # none left over
        pass
    limits = budget.to_dict() if budget is not None else {}
    actor = (
        ray.remote(BudgetKeeper)
        .options(name=keeper_name(run_id), num_cpus=0, max_concurrency=KEEPER_THREADS)
        .remote(limits)
    )
    ray.get(actor.spent.remote())  # started
    return actor


class SharedBudget(Budget):
    """A `Budget` whose counts live in the run's keeper: `before_call` asks it. The failure
    breaker stays in this process, watching its own ledgers."""

    def __init__(
        self, keeper: Any, limits: dict[str, Any] | None = None, token: str | None = None,
        enforce: bool = True,
    ) -> None:  # fmt: skip
        limits = dict(limits or {})
        super().__init__(
            **{name: limits.get(name) for name in LIMITS}, per_role=limits.get("per_role")
        )
        self._keeper = keeper
        self.token = token  # the row this budget's calls are journaled under (None: not)
        self.enforce = enforce  # False: calls are journaled, never refused nor counted

    def for_row(self, token: str, *, enforce: bool) -> SharedBudget:
        """This budget for one row out on an actor: its calls journaled under `token`."""
        return SharedBudget(self._keeper, self.to_dict(), token=token, enforce=enforce)

    def settle(self, record: CallRecord) -> None:
        """Hand a finished call's record to the journal (waited for: a row returns only after
        its calls are settled). Cache hits were never charged."""
        import ray

        if self.token is not None and not record.cache_hit:
            ray.get(self._keeper.settle.remote(self.token, record))

    @property
    def keeper(self) -> Any:
        """The keeper's actor handle."""
        return self._keeper

    def _ask(self, method: str, *args: Any) -> Any:
        import ray

        return ray.get(getattr(self._keeper, method).remote(*args))

    def _add_calls(self, role: str, n: int) -> None:
        self._ask("count_calls", role, n)

    def _add_usage(self, record: CallRecord) -> None:
        self._keeper.count_usage.remote(record)  # not waited for: tokens and cost may lag

    def exceeded(self, role: str | None = None) -> str | None:
        return self._ask("exceeded", role) if self.enforce else None

    def before_call(self, role: str, model: str) -> None:
        self.breaker.check()
        refused = self._ask("before_call", role, model, self.token, self.enforce)
        if refused is not None:
            message, limit = refused
            raise BudgetExhausted(message, limit=limit)

    def spent(self) -> dict[str, Any]:
        return self._ask("spent")

    def __reduce__(self) -> tuple[Any, ...]:  # travels to actors as the keeper's handle
        return (SharedBudget, (self._keeper, self.to_dict(), self.token, self.enforce))


class SharedLimiter:
    """Stands in for an LM's `ConcurrencyLimiter`: the slots are the keeper's."""

    def __init__(self, keeper: Any) -> None:
        self._keeper = keeper

    def acquire(self) -> None:
        """Wait for a free slot under the cluster's cap, then take it."""
        import ray

        while not ray.get(self._keeper.acquire.remote(ACQUIRE_WAIT)):
            pass

    def release(self, *, rate_limited: bool) -> None:
        self._keeper.release.remote(rate_limited)  # not waited for: nothing to hear back

    @property
    def cap(self) -> int | None:
        """The cluster's cap on requests in flight (None: never rate-limited)."""
        import ray

        return ray.get(self._keeper.limiter_cap.remote())


def share_limiter(lm: Any, keeper: Any) -> None:
    """Make `lm` (and the copies that keep its endpoint) take its slots from the keeper; an LM
    without a limiter (the embedded model, a scripted one) is left as it is."""
    if isinstance(getattr(type(lm), "limiter", None), property):
        lm._limiter = SharedLimiter(keeper)
