"""The automatic choice (`optimizer: auto`): which optimizer fits a training set of this size,
and why, in words shown to the user; the chosen optimizer's `auto_params` come with it."""

from __future__ import annotations

from typing import Any

from engine.optimizers.registry import get


def choose_optimizer(train_size: int) -> tuple[str, str]:
    """What `auto` picks for a trainset of this size, and why (shown to the user)."""
    if train_size <= 0:
        return (
            "LabeledFewShot",
            "no training examples: nothing to learn from, the program stays zero-shot",
        )
    if train_size <= 2:
        return "MIPROv2", (
            f"only {train_size} training example(s): too few for worked examples in the prompt, "
            "so MIPROv2 tunes the instruction alone (zero-shot mode: the proposer model writes "
            "candidate instructions, each is scored, the best is kept)"
        )
    if train_size < 20:
        return "BootstrapFewShot", (
            f"{train_size} training examples: enough to bootstrap demos from the model's "
            "own correct "
            "answers, too few for a reliable search over several candidate programs"
        )
    return "BootstrapFewShotWithRandomSearch", (
        f"{train_size} training examples: enough to bootstrap several candidate demo sets and "
        "pick the best on the validation set"
    )


def auto_params(name: str) -> dict[str, Any]:
    """What `auto` sets for the optimizer it picked (the spec's own params come on top)."""
    entry = get(name)
    return dict(entry.auto_params) if entry is not None else {}
