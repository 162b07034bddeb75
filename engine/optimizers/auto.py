"""The automatic choice (`optimizer: auto`): which optimizer fits a training set of this size,
and why, in words shown to the user. Each optimizer `auto` may pick says so in its registry
entry (`AutoPick`: up to how many training rows, why, the params it sets); the one with the
smallest limit that holds the training set is picked."""

from __future__ import annotations

from typing import Any

from engine.optimizers.registry import entries, get


def choose_optimizer(train_size: int) -> tuple[str, str]:
    """What `auto` picks for a trainset of this size, and why (shown to the user)."""
    picks = sorted((e for e in entries() if e.auto_pick), key=lambda e: _limit(e.auto_pick.up_to))
    entry = next(e for e in picks if train_size <= _limit(e.auto_pick.up_to))
    return entry.name, entry.auto_pick.why(train_size)


def auto_params(name: str) -> dict[str, Any]:
    """What `auto` sets for the optimizer it picked (the spec's own params come on top)."""
    entry = get(name)
    return dict(entry.auto_pick.params) if entry is not None and entry.auto_pick else {}


def _limit(up_to: int | None) -> float:
    return float("inf") if up_to is None else up_to
