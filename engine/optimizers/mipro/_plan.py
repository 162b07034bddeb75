"""MIPROv2's run plan: what `auto` and the keywords resolve to, checked before any LM call,
and the expected number of evaluation calls (for `estimate`)."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

from engine.optimizers.spine import derive_seed

AUTO_RUN_SETTINGS = {
    "light": {"n": 6, "val_size": 100},
    "medium": {"n": 12, "val_size": 300},
    "heavy": {"n": 18, "val_size": 1000},
}
MIN_MINIBATCH_SIZE = 50  # auto minibatches only valsets larger than this (as DSPy)
ZERO_SHOT_PROPOSER_DEMOS = 3  # bootstrapped demos shown to the proposer in zero-shot mode


def trials_for(n_predictors: int, zeroshot: bool, n_candidates: int) -> int:
    """DSPy's rule: max(2 · V · log2 N, 1.5 · N), V = predictors (× 2 with demos)."""
    variables = n_predictors * (1 if zeroshot else 2)
    return int(max(2 * variables * math.log2(max(2, n_candidates)), 1.5 * n_candidates))


@dataclass(frozen=True)
class MiproPlan:
    """Resolved settings of one MIPROv2 run."""

    zeroshot: bool
    n_instructions: int  # per predictor, the original included
    n_demo_sets: int  # per predictor (0 in zero-shot mode)
    num_trials: int
    minibatch: bool
    minibatch_size: int
    full_eval_steps: int
    valset_size: int
    trainset_size: int
    notes: tuple[str, ...] = ()

    def full_eval_points(self) -> int:
        if not self.minibatch:
            return 0
        points = self.num_trials // self.full_eval_steps
        return points + (1 if self.num_trials % self.full_eval_steps else 0)


def split_datasets(trainset: list[Any], valset: list[Any] | None) -> tuple[list[Any], list[Any]]:
    """DSPy's split when no valset is given: the last 80% validate, the rest train."""
    if not trainset:
        raise ValueError("MIPROv2 needs training examples; the trainset is empty")
    if valset is not None:
        if not valset:
            raise ValueError("the validation set is empty; pass valset=None to split the trainset")
        return list(trainset), list(valset)
    if len(trainset) < 2:  # one example: it is all there is to learn from and to score on
        return list(trainset), list(trainset)
    size = min(1000, max(1, int(len(trainset) * 0.8)))
    cut = len(trainset) - size
    return list(trainset[:cut]), list(trainset[cut:])


def cap_valset(valset: list[Any], cap: int | None, seed: int) -> list[Any]:
    """At most `cap` validation examples, sampled with the run's seed (auto's val_size)."""
    if cap is None or len(valset) <= cap:
        return list(valset)
    rng = random.Random(derive_seed(seed, "mipro valset"))
    return rng.sample(list(valset), cap)


def resolve_plan(
    *,
    auto: str | None,
    num_candidates: int | None,
    num_trials: int | None,
    max_bootstrapped_demos: int,
    max_labeled_demos: int,
    minibatch: bool,
    minibatch_size: int,
    minibatch_full_eval_steps: int,
    n_predictors: int,
    trainset_size: int,
    valset_size: int,
) -> MiproPlan:
    """Resolve `auto` and the keywords into a plan; ValueError with the fix for bad settings."""
    zeroshot = max_bootstrapped_demos == 0 and max_labeled_demos == 0
    notes: list[str] = []
    if auto is not None and (num_candidates is not None or num_trials is not None):
        raise ValueError(
            f"auto={auto!r} sets num_candidates and num_trials itself; pass auto=None to set "
            "them yourself, or leave num_candidates and num_trials out"
        )
    if auto is None and (num_candidates is None or num_trials is None):
        raise ValueError(
            "with auto=None, give both num_candidates and num_trials (e.g. num_candidates=6, "
            f"num_trials={trials_for(n_predictors, zeroshot, 6)}), or use auto='light'"
        )
    if minibatch_size < 1 or minibatch_full_eval_steps < 1:
        raise ValueError("minibatch_size and minibatch_full_eval_steps must be at least 1")
    if auto is not None:
        settings = AUTO_RUN_SETTINGS[auto]
        n = settings["n"]
        n_instructions = n if zeroshot else max(1, n // 2)
        n_demo_sets = n
        trials = trials_for(n_predictors, zeroshot, n)
        valset_size = min(valset_size, settings["val_size"])
        use_minibatch = valset_size > MIN_MINIBATCH_SIZE
        if minibatch and not use_minibatch:
            notes.append(
                f"{valset_size} validation examples: every trial is scored on all of them "
                f"(minibatches only above {MIN_MINIBATCH_SIZE})"
            )
        minibatch = minibatch and use_minibatch
    else:
        assert num_candidates is not None and num_trials is not None
        if num_candidates < 1 or num_trials < 1:
            raise ValueError("num_candidates and num_trials must be at least 1")
        n_instructions, n_demo_sets, trials = num_candidates, num_candidates, num_trials
    if minibatch and minibatch_size > valset_size:
        raise ValueError(
            f"minibatch_size={minibatch_size} is larger than the validation set "
            f"({valset_size} examples): lower minibatch_size, pass minibatch=False, or add "
            "validation examples"
        )
    return MiproPlan(
        zeroshot=zeroshot,
        n_instructions=n_instructions,
        n_demo_sets=0 if zeroshot else n_demo_sets,
        num_trials=trials,
        minibatch=minibatch,
        minibatch_size=minibatch_size,
        full_eval_steps=minibatch_full_eval_steps,
        valset_size=valset_size,
        trainset_size=trainset_size,
        notes=tuple(notes),
    )


def expected_distinct_pairs(configs: int, trials: int, batch: int, valset: int) -> float:
    """Expected (configuration, example) pairs evaluated when `trials` draws of `configs`
    equally likely configurations each score a random `batch` of `valset` examples (a pair
    already scored is not scored again)."""
    if configs <= 0 or trials <= 0 or valset <= 0:
        return 0.0
    p = 1.0 / configs
    total = 0.0
    for m in range(1, trials + 1):
        prob = math.comb(trials, m) * p**m * (1 - p) ** (trials - m)
        total += prob * valset * (1 - (1 - batch / valset) ** m)
    return configs * total
