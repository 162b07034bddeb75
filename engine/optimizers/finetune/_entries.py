"""The registry's builders of the weight optimizers: spec parameters (epochs, learning rate,
steps, window, rows, threads) turned into BootstrapFinetune's `train_kwargs`, and
BetterTogether's default prompt (`p`) and weight (`w`) steps."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.optimizers.finetune._finetune import MIN_TRACES, BootstrapFinetune
from engine.optimizers.finetune._together import DEFAULT_STRATEGY, BetterTogether
from engine.optimizers.random_search import BootstrapFewShotWithRandomSearch


def train_kwargs_of(
    epochs: int,
    learning_rate: float,
    max_steps: int | None,
    window: int,
    threads: int,
    loss_on: str = "answer",
) -> dict[str, Any]:
    """The trainer's settings from the spec's parameter names (`max_steps` 0 or None: none)."""
    kwargs: dict[str, Any] = {"num_train_epochs": epochs, "learning_rate": learning_rate,
                              "n_ctx": window, "num_threads": threads,
                              "loss_on": loss_on}  # fmt: skip
    if max_steps:
        kwargs["max_steps"] = max_steps
    return kwargs


def bootstrap_finetune(
    metric: Callable[..., Any] | None = None,
    *,
    epochs: int = 1,
    learning_rate: float = 1e-4,
    max_steps: int | None = None,
    window: int = 512,
    max_rows: int | None = None,
    threads: int = 1,
    multitask: bool = True,
    min_traces: int = MIN_TRACES,
    exclude_demos: bool = False,
    train_on: str = "traces",
    loss_on: str = "answer",
) -> BootstrapFinetune:
    """BootstrapFinetune from a spec's parameters."""
    return BootstrapFinetune(
        metric=metric, multitask=multitask, min_traces=min_traces, max_rows=max_rows or None,
        exclude_demos=exclude_demos, train_on=train_on,
        train_kwargs=train_kwargs_of(epochs, learning_rate, max_steps, window, threads,
                                     loss_on),
    )  # fmt: skip


def better_together(
    metric: Callable[..., Any] | None = None,
    *,
    strategy: str = DEFAULT_STRATEGY,
    candidates: int = 6,
    epochs: int = 1,
    learning_rate: float = 1e-4,
    max_steps: int | None = None,
    window: int = 512,
    max_rows: int | None = None,
    threads: int = 1,
    exclude_demos: bool = False,
    train_on: str = "traces",
    loss_on: str = "answer",
) -> BetterTogether:
    """BetterTogether from a spec's parameters: `p` a random search over `candidates`
    bootstrapped example sets, `w` BootstrapFinetune with the training settings."""
    together = BetterTogether(
        metric,
        p=BootstrapFewShotWithRandomSearch(metric=metric, num_candidate_programs=candidates),
        w=bootstrap_finetune(metric, epochs=epochs, learning_rate=learning_rate,
                             max_steps=max_steps, window=window, max_rows=max_rows,
                             threads=threads, exclude_demos=exclude_demos,
                             train_on=train_on, loss_on=loss_on),
    )  # fmt: skip
    together.default_strategy = strategy
    together.steps()  # a strategy naming no optimizer fails here, as a spec error
    return together
