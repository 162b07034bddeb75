"""LabeledFewShot: training examples as demos, sampled with a seeded RNG. No LM calls."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from engine.optimizers.base import Optimizer, derive_seed
from engine.optimizers.budget import Estimate, baseline_and_result_scoring
from engine.optimizers.candidate import Candidate
from engine.optimizers.trials import TrialRunner


def predictor_count(student: Any) -> int:
    """How many LM calls one run of the program makes (one per predictor); 1 if unknown."""
    if student is None:
        return 1
    return max(1, len(student.named_predictors()))


def set_labeled_demos(program: Any, trainset: list[Any], k: int, rng: random.Random | None) -> Any:
    """Give every predictor of `program` k training examples as demos (sampled if `rng`)."""
    for _, predictor in program.named_predictors():
        if rng is None:
            chosen = trainset[:k]
        else:
            chosen = rng.sample(trainset, min(k, len(trainset)))
        predictor.demos = [example.copy() for example in chosen]
    return program


class LabeledFewShot(Optimizer):
    """`LabeledFewShot(k=16).compile(student, trainset=...)`: k labeled demos per predictor.

    Compiling makes no LM calls. With a `metric` and a `valset=` (both optional, not in DSPy)
    the baseline and the compiled program are also scored on the valset, so the run reports a
    gain.
    """

    valset_defaults_to_trainset = False

    def __init__(
        self,
        k: int = 16,
        *,
        metric: Callable[..., Any] | None = None,
        num_threads: int | None = None,
    ) -> None:
        self.k = k
        self.metric = metric
        self.num_threads = num_threads

    def estimate(
        self,
        trainset: list[Any],
        valset: list[Any] | None = None,
        *,
        student: Any = None,
        seed: int = 0,
    ) -> Estimate:
        valset = self.effective_valset(trainset, valset)
        if self.metric is None or not valset:
            return Estimate({"task": 0}, 0, 0, "no LM calls: demos are sampled from the trainset")
        calls, tokens = baseline_and_result_scoring(
            valset, predictor_count(student), min(self.k, len(trainset))
        )
        return Estimate(
            {"task": calls}, tokens, 2, "baseline and the labeled program scored on the valset"
        )

    def _compile(
        self,
        student: Any,
        *,
        trainset: list[Any],
        valset: list[Any],
        teacher: Any,
        runner: TrialRunner,
        sample: bool = True,
        **_: Any,
    ) -> Any:
        rng = random.Random(derive_seed(runner.run.seed, "labeled")) if sample else None
        program = set_labeled_demos(student.reset_copy(), trainset, self.k, rng)
        parents = [Candidate.from_program(student).hash]
        origin = f"labeled demos (k={self.k})"
        if self.metric is not None and valset:
            runner.run.recorder.phase(
                "evaluating candidates", f"1 candidate on {len(valset)} validation examples"
            )
            runner.evaluate(program, valset, subset="val", parents=parents, origin=origin)
        else:
            runner.register(program, parents, origin)
        return program
