"""The worker's budget: the spec's limits plus a FailureBreaker that stops a failing run."""

from __future__ import annotations

from typing import Any

from engine.lm.breaker import FailureBreaker
from engine.lm.usage import UsageLedger
from engine.optimizers.budget import Budget


class GuardedBudget(Budget):
    """A Budget (possibly without limits) whose `before_call` first asks the breaker."""

    def __init__(self, *args: Any, breaker: FailureBreaker | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.breaker = breaker if breaker is not None else FailureBreaker()

    def attach(self, ledger: UsageLedger) -> None:
        super().attach(ledger)
        self.breaker.watch(ledger)

    def before_call(self, role: str, model: str) -> None:
        self.breaker.check()
        super().before_call(role, model)
