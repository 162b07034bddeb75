"""The registry's builder of BetterTogether: its default prompt (`p`) and weight (`w`) steps
from a spec's parameters."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.optimizers.finetune import bootstrap_finetune
from engine.optimizers.random_search import BootstrapFewShotWithRandomSearch
from engine.optimizers.together._together import DEFAULT_STRATEGY, BetterTogether


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
