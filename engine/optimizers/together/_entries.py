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
    **training: Any,
) -> BetterTogether:
    """BetterTogether from a spec's parameters: `p` a random search over `candidates`
    bootstrapped example sets, `w` BootstrapFinetune built by `bootstrap_finetune` from the
    `training` settings (epochs, window, train_on, loss_on, ...: `training_params`)."""
    together = BetterTogether(
        metric,
        p=BootstrapFewShotWithRandomSearch(metric=metric, num_candidate_programs=candidates),
        w=bootstrap_finetune(metric, **training),
    )
    together.default_strategy = strategy
    together.steps()  # a strategy naming no optimizer fails here, as a spec error
    return together
