"""Global configuration with thread- and async-safe overrides.

`configure(...)` sets process-wide defaults; `context(...)` overrides them for the current
thread/task only (a `contextvars` layer). `parallel_map` (engine.parallel) copies the active
context into its worker threads, so overrides reach the engine's own thread pool.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_DEFAULTS: dict[str, Any] = {
    "lm": None,  # default LM; None means the embedded local model
    "adapter": None,  # default adapter; None means ChatAdapter
    "usage_trackers": (),  # UsageLedger objects that receive every LM call record
    "budget": None,  # object with before_call(role, model) -> None (raises BudgetExhausted)
    "judge_lm": None,  # LM of LLM-judged metrics (engine.metrics.Judge); None: the task LM
    "rm": None,  # retriever of engine.Retrieve: rm(query, k) -> passages (engine.retrievers)
    "lm_role": "task",  # role recorded for LM calls: task / proposer / judge
    "trace": None,  # list collecting (predictor, inputs, prediction) while bootstrapping
    "callbacks": (),  # objects notified of module calls (reserved for tracing tools)
    "num_threads": 4,  # default thread count for Evaluate / optimizers
    "max_errors": None,  # default max_errors for Evaluate (None = unlimited)
    "track_usage": True,  # accepted for DSPy compatibility; usage is always tracked
    "max_backtracks": 2,  # retries of a module whose Assert/Suggest failed (engine.Assert)
}

_overrides: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "tunesmith_settings_overrides", default=None
)


class Settings:
    """Read settings as attributes: `settings.lm`, `settings.adapter`, ..."""

    def __init__(self) -> None:
        object.__setattr__(self, "_global", dict(_DEFAULTS))
        object.__setattr__(self, "_lock", threading.Lock())

    def __getattr__(self, name: str) -> Any:
        overrides = _overrides.get()
        if overrides is not None and name in overrides:
            return overrides[name]
        try:
            return self._global[name]
        except KeyError:
            raise AttributeError(f"unknown setting {name!r}; known: {sorted(_DEFAULTS)}") from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("use engine.configure(...) or engine.context(...) to change settings")

    def _check(self, kwargs: dict[str, Any]) -> None:
        unknown = set(kwargs) - set(_DEFAULTS)
        if unknown:
            raise TypeError(f"unknown setting(s) {sorted(unknown)}; known: {sorted(_DEFAULTS)}")

    def configure(self, **kwargs: Any) -> None:
        """Set process-wide defaults, e.g. `configure(lm=LM("openai/gpt-4o-mini"))`."""
        self._check(kwargs)
        with self._lock:
            self._global.update(kwargs)

    @contextmanager
    def context(self, **kwargs: Any) -> Iterator[None]:
        """Override settings inside a `with` block, for this thread/task only."""
        self._check(kwargs)
        current = _overrides.get() or {}
        token = _overrides.set({**current, **kwargs})
        try:
            yield
        finally:
            _overrides.reset(token)

    def reset(self) -> None:
        """Restore every default (for tests)."""
        with self._lock:
            self._global.clear()
            self._global.update(_DEFAULTS)

    def snapshot(self) -> dict[str, Any]:
        """The effective settings in this context."""
        return {name: getattr(self, name) for name in _DEFAULTS}


settings = Settings()
configure = settings.configure
context = settings.context
