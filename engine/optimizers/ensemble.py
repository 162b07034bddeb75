"""Ensemble: several programs as one, their outputs reduced (e.g. by majority vote).

`Ensemble(reduce_fn=None, size=None, deterministic=False).compile(programs)` makes no LM calls.
The returned `EnsembledProgram` runs `size` of the programs (all by default; a random sample
otherwise, or a sample fixed by the inputs' hash when `deterministic=True`, which DSPy has not
implemented) and returns `reduce_fn(outputs)`, or the list of outputs without one. Its state
is every member's predictors under `programs[i]. ...`, as DSPy saves a list of modules.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from engine.modules.module import Module
from engine.optimizers.base import derive_seed
from engine.primitives import Prediction


def vote(outputs: Sequence[Any], field: str | None = None) -> Prediction:
    """Majority vote on one output field (default: the last one); ties go to the earliest.
    Values are compared stripped and case-folded; the winner is returned as the first program
    that gave it answered. (A small local reducer; `engine.majority` supersedes it.)"""
    answers = [o for o in outputs if o is not None]
    if not answers:
        raise ValueError("no outputs to vote on")
    field = field or list(answers[0].keys())[-1]

    def norm(value: Any) -> str:
        return str(value).strip().casefold()

    counts = Counter(norm(o.get(field)) for o in answers)
    best = max(counts.values())
    winner = next(o for o in answers if counts[norm(o.get(field))] == best)
    result = Prediction(dict(winner.items()))
    result.set_lm_usage(getattr(winner, "get_lm_usage", lambda: None)())
    return result


def default_reducer() -> Callable[..., Any]:
    """`engine.majority` when it exists, else the local `vote`."""
    try:
        from engine import majority  # type: ignore[attr-defined]
    except ImportError:
        return vote
    return majority


class EnsembledProgram(Module):
    """Runs its member programs and reduces their outputs."""

    def __init__(
        self,
        programs: Sequence[Any],
        reduce_fn: Callable[..., Any] | None = None,
        size: int | None = None,
        deterministic: bool = False,
    ) -> None:
        self.programs = list(programs)
        self.reduce_fn = reduce_fn
        self.size = size
        self.deterministic = deterministic

    def members(self, kwargs: dict[str, Any]) -> list[Any]:
        """The programs that answer these inputs."""
        if not self.size or self.size >= len(self.programs):
            return list(self.programs)
        seed = derive_seed(sorted((k, str(v)) for k, v in kwargs.items()))
        rng = random.Random(seed) if self.deterministic else random
        return rng.sample(self.programs, self.size)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        outputs = [program(*args, **kwargs) for program in self.members(kwargs)]
        return self.reduce_fn(outputs) if self.reduce_fn else outputs


class Ensemble:
    """`Ensemble(reduce_fn=engine.majority, size=None).compile(programs)`: DSPy's shape.

    Also accepts `Ensemble(programs=[...], method="majority_vote")` (the form of the
    optimizer-comparison tool in the seeds), then `ensemble(**inputs)` runs them directly.
    """

    def __init__(
        self,
        *,
        reduce_fn: Callable[..., Any] | None = None,
        size: int | None = None,
        deterministic: bool = False,
        programs: Sequence[Any] | None = None,
        method: str | None = None,
    ) -> None:
        if method is not None:
            if method not in ("majority", "majority_vote"):
                raise ValueError(f"unknown method {method!r}: use 'majority_vote' or a reduce_fn")
            reduce_fn = reduce_fn or default_reducer()
        self.reduce_fn = reduce_fn
        self.size = size
        self.deterministic = deterministic
        self._program = self.compile(programs) if programs is not None else None

    def compile(self, programs: Sequence[Any]) -> EnsembledProgram:
        """One program over `programs` (no LM calls)."""
        programs = list(programs)
        if not programs:
            raise ValueError("Ensemble.compile needs at least one program")
        if self.size is not None and not 0 < self.size <= len(programs):
            raise ValueError(f"size={self.size} must be between 1 and {len(programs)}")
        return EnsembledProgram(programs, self.reduce_fn, self.size, self.deterministic)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._program is None:
            raise TypeError("call compile(programs) first, or pass programs=[...]")
        return self._program(*args, **kwargs)
