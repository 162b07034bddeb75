"""GEPA's budget in metric calls (from `auto`, `max_full_evals` or `max_metric_calls`) and the
order in which it reads minibatches of the trainset."""

from __future__ import annotations

import math
import random
from typing import Any

from engine.optimizers.spine import derive_seed

AUTO_CANDIDATES = {"light": 6, "medium": 12, "heavy": 18}
AUTO_MINIBATCH = 35  # the minibatch size DSPy's auto budget assumes
AUTO_FULL_EVAL_STEPS = 5


def auto_metric_calls(auto: str, n_predictors: int, n_val: int) -> int:
    """The metric-call budget of `auto` (DSPy 3.4.1's formula: a first full evaluation, up to
    5 bootstrap trials per candidate, the minibatch trials and periodic full evaluations)."""
    n = AUTO_CANDIDATES[auto]
    trials = int(max(4 * n_predictors * math.log2(n), 1.5 * n))
    total = n_val + 5 * n + trials * AUTO_MINIBATCH
    if trials == 0:
        return total
    fulls = (trials + 1) // AUTO_FULL_EVAL_STEPS + 1
    extra = 1 if trials < AUTO_FULL_EVAL_STEPS else 0
    return total + (fulls + extra) * n_val


def metric_budget(
    auto: str | None,
    max_full_evals: int | None,
    max_metric_calls: int | None,
    n_predictors: int,
    n_train: int,
    n_val: int,
    valset_given: bool,
) -> int:
    """The run's budget in metric calls (one call = one program run on one example)."""
    if auto is not None:
        return auto_metric_calls(auto, n_predictors, n_val)
    if max_full_evals is not None:
        return max_full_evals * (n_train + (n_val if valset_given else 0))
    assert max_metric_calls is not None
    return max_metric_calls


def check_budget_choice(auto: Any, max_full_evals: Any, max_metric_calls: Any) -> None:
    """Exactly one of the three must be set (as in DSPy), with a sensible value."""
    named = (("auto", auto), ("max_full_evals", max_full_evals),
             ("max_metric_calls", max_metric_calls))  # fmt: skip
    given = [name for name, value in named if value is not None]
    if len(given) != 1:
        raise ValueError(
            "GEPA needs exactly one of auto ('light' | 'medium' | 'heavy'), max_full_evals or "
            f"max_metric_calls; got {given or 'none'}"
        )
    if auto is not None and auto not in AUTO_CANDIDATES:
        raise ValueError(f"auto must be 'light', 'medium' or 'heavy', not {auto!r}")
    for name, value in named[1:]:
        if value is not None and (not isinstance(value, int) or value < 1):
            raise ValueError(f"{name} must be a positive whole number, not {value!r}")


class MinibatchOrder:
    """Minibatches of the trainset read in order through seeded shuffles, one per epoch; a
    batch never holds an example twice."""

    def __init__(self, ids: list[str], size: int, seed: int) -> None:
        self.ids, self.size, self.seed = list(ids), max(1, size), seed
        self._stream: list[str] = []
        self._epochs = 0

    def _grow(self) -> None:
        epoch = list(self.ids)
        random.Random(derive_seed(self.seed, "epoch", self._epochs)).shuffle(epoch)
        self._stream.extend(epoch)
        self._epochs += 1

    def batch(self, k: int) -> list[str]:
        """The k-th minibatch (k = 0, 1, ...)."""
        size = min(self.size, len(self.ids))
        out: list[str] = []
        position = k * size
        while len(out) < size:
            while position >= len(self._stream):
                self._grow()
            candidate = self._stream[position]
            if candidate not in out:
                out.append(candidate)
            position += 1
        return out
