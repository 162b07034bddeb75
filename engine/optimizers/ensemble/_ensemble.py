"""Ensemble: several programs as one, their outputs reduced (e.g. by majority vote).

`Ensemble(reduce_fn=None, size=None, deterministic=False).compile(programs)` makes no LM calls
but, on the embedded model, one per member whose closed last output has no offsets yet: such a
member is replaced by a copy with its content-free offsets (`engine.optimizers.calibration`;
off with `calibrate_choices=False`, not in DSPy). The returned `EnsembledProgram` runs `size`
of the programs (all by default; a random sample otherwise, or a sample fixed by the inputs'
hash when `deterministic=True`, which DSPy has not implemented) and returns
`reduce_fn(outputs)`, or the list of outputs without one. Its state is every member's
predictors under `programs[i]. ...`, as DSPy saves a list of modules.

With `engine.majority` as the reducer (or a `functools.partial` of it binding `normalize` /
`field`), the members run in order and stop once the vote is settled: when the members left
could not change the winner even if they all agreed (`majority_settled`). The answer is the one
all members would give; the members not run make no call (DSPy runs them all). Off with
`stop_when_settled=False`.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Any

from engine.core import with_callbacks_once
from engine.modules.attempts.aggregation import majority, majority_arguments, majority_settled
from engine.modules.module import Module
from engine.optimizers.calibration import content_free_prior
from engine.optimizers.spine import derive_seed


class EnsembledProgram(Module):
    """Runs its member programs and reduces their outputs."""

    def __init__(
        self,
        programs: Sequence[Any],
        reduce_fn: Callable[..., Any] | None = None,
        size: int | None = None,
        deterministic: bool = False,
        stop_when_settled: bool = True,
    ) -> None:
        self.programs = list(programs)
        self.reduce_fn = reduce_fn
        self.size = size
        self.deterministic = deterministic
        self.stop_when_settled = stop_when_settled

    def members(self, kwargs: dict[str, Any]) -> list[Any]:
        """The programs that answer these inputs."""
        if not self.size or self.size >= len(self.programs):
            return list(self.programs)
        seed = derive_seed(sorted((k, str(v)) for k, v in kwargs.items()))
        rng = random.Random(seed) if self.deterministic else random
        return rng.sample(self.programs, self.size)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        members = self.members(kwargs)
        vote = majority_arguments(self.reduce_fn) if self.stop_when_settled else None
        outputs = []
        for program in members:
            outputs.append(program(*args, **kwargs))
            left = len(members) - len(outputs)
            if vote is not None and left and majority_settled(outputs, left, **vote):
                break
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
        stop_when_settled: bool = True,
        programs: Sequence[Any] | None = None,
        method: str | None = None,
        calibrate_choices: bool = True,
    ) -> None:
        if method is not None:
            if method not in ("majority", "majority_vote"):
                raise ValueError(f"unknown method {method!r}: use 'majority_vote' or a reduce_fn")
            reduce_fn = reduce_fn or majority
        self.reduce_fn = reduce_fn
        self.size = size
        self.deterministic = deterministic
        self.stop_when_settled = stop_when_settled
        self.calibrate_choices = calibrate_choices
        self._program = self.compile(programs) if programs is not None else None

    @with_callbacks_once
    def compile(self, programs: Sequence[Any]) -> EnsembledProgram:
        """One program over `programs` (members calibrated as the module says)."""
        programs = list(programs)
        if not programs:
            raise ValueError("Ensemble.compile needs at least one program")
        if self.size is not None and not 0 < self.size <= len(programs):
            raise ValueError(f"size={self.size} must be between 1 and {len(programs)}")
        if self.calibrate_choices:
            programs = [content_free_prior(program) for program in programs]
        return EnsembledProgram(
            programs, self.reduce_fn, self.size, self.deterministic, self.stop_when_settled
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._program is None:
            raise TypeError("call compile(programs) first, or pass programs=[...]")
        return self._program(*args, **kwargs)
