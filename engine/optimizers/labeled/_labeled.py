"""LabeledFewShot: training examples as demos, sampled with a seeded RNG.

On the embedded model, a closed last output then gets its content-free offsets (one LM call,
`engine.optimizers.calibration._content_free`); otherwise compiling makes no LM call.

The draw is DSPy's: one `random.Random(seed)` sampling k examples per predictor in order, so
with the run's default seed 0 a program gets the same demos as under DSPy's LabeledFewShot
(which always seeds 0), and random search's labeled-only candidate those of DSPy's.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from engine.optimizers.spine import (
    Candidate,
    CompileJob,
    Estimate,
    Optimizer,
    Workload,
    baseline_and_result_scoring,
)


def labeled_rng(run_seed: int) -> random.Random:
    """The RNG labeled demos are drawn with (DSPy's: `random.Random(0)` at seed 0)."""
    return random.Random(run_seed)


def set_labeled_demos(program: Any, trainset: list[Any], k: int, rng: random.Random | None) -> Any:
    """Give every predictor of `program` k training examples as demos (sampled if `rng`)."""
    for _, predictor in program.named_predictors():
        chosen = trainset[:k] if rng is None else rng.sample(trainset, min(k, len(trainset)))
        predictor.demos = [example.copy() for example in chosen]
    return program


class LabeledFewShot(Optimizer):
    """`LabeledFewShot(k=16).compile(student, trainset=...)`: k labeled demos per predictor.

    Compiling makes no LM calls, but one on the embedded model for a closed last output (its
    content-free offsets; not in DSPy). With a `metric` and a `valset=` (both optional, not in
    DSPy) the baseline and the compiled program are also scored on the valset, so the run
    reports a gain, and the choice is calibrated on the valset instead.
    """

    valset_defaults_to_trainset = False
    content_free_prior = True

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

    def _estimate(self, work: Workload) -> Estimate:
        if self.metric is None or not work.valset:
            return Estimate(
                {"task": 0}, 0, 0, "demos sampled from the trainset (no LM call for them)"
            )
        calls, tokens = baseline_and_result_scoring(
            work.valset, work.per_example, min(self.k, len(work.trainset))
        )
        return Estimate(
            {"task": calls}, tokens, 2, "baseline and the labeled program scored on the valset"
        )

    def _compile(self, job: CompileJob) -> Any:
        student, trainset, valset, runner = job.student, job.trainset, job.valset, job.runner
        sample = job.options.get("sample", True)
        rng = labeled_rng(runner.run.seed) if sample else None
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
