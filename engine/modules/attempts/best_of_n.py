"""BestOfN: run a module up to N times and keep the first prediction good enough, else the best.

The first attempt runs the module as configured; each later one runs a copy whose predictors'
LMs have their own `rollout_id` (and temperature 1.0 where theirs is 0), so attempts are
distinct requests (docs/design/DEVIATIONS.md, 20: why the first stays greedy, unlike dspy).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from engine.adapters import default_adapter
from engine.core import BudgetExhausted, Prediction, record_trace, settings
from engine.modules.module import Module
from engine.modules.notes import Note, NoteAdapter
from engine.modules.predict import resolve_lm

logger = logging.getLogger(__name__)

RewardFn = Callable[[dict[str, Any], Prediction], float]
ROLLOUT_TEMPERATURE = 1.0


def rollout_lm(lm: Any, attempt: int) -> Any:
    """A copy of `lm` for attempt number `attempt` (distinct rollout id, sampling on)."""
    start = getattr(lm, "rollout_id", None)
    rollout_id = (start if isinstance(start, int) else 0) + attempt
    temperature = (getattr(lm, "kwargs", None) or {}).get("temperature") or ROLLOUT_TEMPERATURE
    return lm.copy(rollout_id=rollout_id, temperature=temperature)


def rollout_copy(module: Any, attempt: int) -> Any:
    """A deep copy of `module` whose predictors call their LM as attempt `attempt` (attempt 0:
    the LM as it is)."""
    copy = module.deepcopy()
    if attempt == 0:
        return copy
    for predictor in copy.predictors():
        predictor.lm = rollout_lm(resolve_lm(predictor.lm), attempt)
    return copy


class BestOfN(Module):
    """`BestOfN(module, N, reward_fn, threshold, fail_count=None)`: dspy's shape.

    `reward_fn(kwargs, prediction) -> float`. Returns the first prediction whose reward reaches
    `threshold`, else the one with the highest reward. An attempt that raises (or whose reward
    raises) is a failure; more than `fail_count` failures (default N) raise the last error, and
    so does a run where every attempt failed. A budget running out is never retried.
    """

    def __init__(
        self,
        module: Module,
        N: int,  # noqa: N803 (dspy's name)
        reward_fn: RewardFn,
        threshold: float,
        fail_count: int | None = None,
    ) -> None:
        if N < 1:
            raise ValueError(f"{type(self).__name__} needs N >= 1, got {N}")
        self.module = module
        self._reward_fn = reward_fn  # "_": never walked as part of the program
        self.threshold = threshold
        self.N = N
        self.fail_count = N if fail_count is None else fail_count

    @property
    def reward_fn(self) -> RewardFn:
        return self._reward_fn

    def lm_calls_per_run(self) -> int:
        """At most N attempts of the module (the reward's own calls are another role's)."""
        return self.N * self.module.lm_calls_per_run()

    def forward(self, **kwargs: Any) -> Prediction:
        best: tuple[float, Any, list[Any]] | None = None
        failures, last_error = 0, None
        notes: dict[Any, list[Note]] = {}
        for attempt in range(self.N):
            module = rollout_copy(self.module, attempt)
            try:
                prediction, trace = self._run(module, kwargs, notes)
                with settings.context(trace=[]):  # the reward's own LM calls are not steps
                    reward = float(self.reward_fn(kwargs, prediction))
            except BudgetExhausted:
                raise
            except Exception as exc:
                failures, last_error = failures + 1, exc
                logger.warning(
                    "%s: attempt %d failed: %s: %s", type(self).__name__, attempt + 1,
                    type(exc).__name__, exc,
                )  # fmt: skip
                if failures > self.fail_count:
                    raise
                continue
            if best is None or reward > best[0]:
                best = (reward, prediction, self._as_own(module, trace))
            if self.threshold is not None and reward >= self.threshold:
                break
            if attempt < self.N - 1:
                notes = self.advise(module, kwargs, prediction, trace, reward)
        if best is None:
            assert last_error is not None
            raise last_error
        record_trace(*best[2])
        return best[1]

    def _run(
        self, module: Any, kwargs: dict[str, Any], notes: dict[Any, list[Note]]
    ) -> tuple[Any, list[Any]]:
        trace: list[Any] = []
        overrides: dict[str, Any] = {"trace": trace}
        if notes:
            overrides["adapter"] = NoteAdapter(settings.adapter or default_adapter(), notes)
        with settings.context(**overrides):
            prediction = module(**kwargs)
        return prediction, trace

    def _as_own(self, copy: Any, trace: list[Any]) -> list[Any]:
        """The attempt's trace with the copy's predictors replaced by this module's own (same
        path), so a bootstrapping optimizer finds the demo's predictor by identity."""
        own = dict(self.module.named_predictors())
        by_id = {id(p): own.get(path, p) for path, p in copy.named_predictors()}
        return [(by_id.get(id(p), p), inputs, out) for p, inputs, out in trace]

    def advise(
        self, module: Any, kwargs: dict[str, Any], prediction: Any, trace: list[Any], reward: float
    ) -> dict[Any, list[Note]]:
        """Notes for the next attempt's predictors; BestOfN gives none (Refine does)."""
        return {}
