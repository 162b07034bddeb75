"""SIMBA: rules and demos written for the rows the program is unsure about."""

from typing import Any

from engine.optimizers.registry import EventKind, OptimizerEntry, Param, register
from engine.optimizers.simba._simba import SIMBA


def _step(data: dict[str, Any]) -> str | None:
    return str(data["step"]) if "step" in data else None


register(OptimizerEntry(
    name="SIMBA", factory=SIMBA, rank=60,
    aliases=("simba",),
    label="Fix what the prompt is unsure about: SIMBA",
    goal="Finds the rows your prompt is unsure about (its variants disagree) and adds a worked "
    "example or a rule, written by the proposer model, for them.",
    # defaults smaller than DSPy's (32 / 6 / 8 / 4): a first run on the embedded model takes
    # minutes, not hours
    params=(
        Param("bsize", int, 8, "Training rows per step (batch)", low=1, high="train"),
        Param("num_candidates", int, 3, "Variants per step", low=1, high=12),
        Param("max_steps", int, 4, "Steps", low=1, high=30),
        Param("max_demos", int, 4, "Examples in the prompt (max)", low=0, high=16),
    ),
    roles={"proposer": "prompt_model"},
    events=(EventKind("simba_step", step=_step),),
    note=lambda params: (
        "Each step samples a batch of training rows, runs the variants on it, and for the rows "
        "they disagree on adds a worked example or a rule (0 examples: rules only)."
    ),
    pilot=lambda rows: (
        f"and its sampled variants on up to {2 * rows} rows of SIMBA's first batch, and one "
        "program with a worked example added"
    ),
    estimate_tolerance=None,  # an upper bound: the search may stop early
    smoke_params={"bsize": 4, "num_candidates": 2, "max_steps": 2, "max_demos": 2},
))  # fmt: skip

__all__ = ["SIMBA"]
