"""The optimizers the shape matrix can run in both frameworks, with the same settings in each.

- `random_search`: BootstrapFewShotWithRandomSearch (the matrix's default).
- `mipro`: MIPROv2(auto="light"), the task model also its prompt model.
- `gepa`: GEPA(max_metric_calls=...), the task model also its reflection model; the case's
  metric is passed as a feedback metric (a score, no text) to both.

The prompt / reflection model is a second LM object on the same in-process model with a longer
reply limit (`--proposer-max-tokens`), counted with the task LM in each framework's counters.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from fewshot_data import MODEL
from fewshot_runners import MAX_ERRORS

OPTIMIZERS = ("random_search", "mipro", "gepa")


def feedback_metric(metric: Callable[..., Any]) -> Callable[..., Any]:
    """The case's metric with GEPA's arguments (DSPy calls it with all five)."""

    def scored(gold: Any, pred: Any, trace: Any = None, pred_name: Any = None,
               pred_trace: Any = None) -> float:  # fmt: skip
        return float(metric(gold, pred, trace))

    return scored


def second_lm(module: Any, args: argparse.Namespace) -> Any:
    """The prompt / reflection LM: same model, cache off, longer replies."""
    extra = {"engine": "litellm"} if module.__name__ == "dspy" else {}
    return module.LM(
        MODEL, temperature=args.proposer_temperature, max_tokens=args.proposer_max_tokens,
        cache=False, **extra,
    )  # fmt: skip


def build(module: Any, metric: Callable[..., Any], args: argparse.Namespace, helper: Any) -> Any:
    """The optimizer `args.optimizer` in `module` (engine or dspy); `helper` is its second LM."""
    if args.optimizer == "mipro":
        return module.MIPROv2(
            metric=metric, prompt_model=helper, auto="light",
            max_bootstrapped_demos=args.max_bootstrapped, max_labeled_demos=args.max_labeled,
            num_threads=args.threads, max_errors=MAX_ERRORS, seed=0,
        )  # fmt: skip
    if args.optimizer == "gepa":
        return module.GEPA(
            metric=feedback_metric(metric), reflection_lm=helper,
            max_metric_calls=args.max_metric_calls, reflection_minibatch_size=3,
            num_threads=args.threads, seed=0,
        )  # fmt: skip
    return module.BootstrapFewShotWithRandomSearch(
        metric=metric, max_bootstrapped_demos=args.max_bootstrapped,
        max_labeled_demos=args.max_labeled, num_candidate_programs=args.candidates,
        num_threads=args.threads, max_errors=MAX_ERRORS,
    )  # fmt: skip


def compile_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    return {"requires_permission_to_run": False} if args.optimizer == "mipro" else {}


def describe(args: argparse.Namespace) -> str:
    """The optimizer settings, for the report's settings line."""
    if args.optimizer == "mipro":
        return (
            f'MIPROv2(auto="light", max_bootstrapped_demos={args.max_bootstrapped}, '
            f"max_labeled_demos={args.max_labeled}), the task model as prompt model "
            f"(max_tokens {args.proposer_max_tokens})"
        )
    if args.optimizer == "gepa":
        return (
            f"GEPA(max_metric_calls={args.max_metric_calls}, reflection_minibatch_size=3), the "
            f"task model as reflection model (max_tokens {args.proposer_max_tokens}, "
            f"temperature {args.proposer_temperature})"
        )
    return (
        f"BootstrapFewShotWithRandomSearch(num_candidate_programs={args.candidates}, "
        f"max_bootstrapped_demos={args.max_bootstrapped}, max_labeled_demos={args.max_labeled})"
    )
