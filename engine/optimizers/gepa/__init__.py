"""GEPA: reflective instruction rewrites kept on a Pareto front of validation rows."""

from collections.abc import Mapping
from functools import partial
from typing import Any

from engine.optimizers.gepa._gepa import GEPA
from engine.optimizers.gepa._plan import AUTO_CANDIDATES, auto_metric_calls
from engine.optimizers.registry import (
    EventKind,
    OptimizerEntry,
    Param,
    Preset,
    Presets,
    SettingsContext,
    register,
)


def _step(data: dict[str, Any]) -> str | None:
    """'4/reflection': a reflection step by its iteration and kind."""
    if "iteration" not in data:
        return None
    return f"{data['iteration']}/{data.get('kind', 'reflection')}"


def _size(params: Mapping[str, Any]) -> str:
    """The search size `params` amount to: an `auto` size, else "custom" with a run count."""
    if params.get("auto") in AUTO_CANDIDATES:
        return params["auto"]
    return "custom" if params.get("max_metric_calls") else "light"


def _runs(size: str, sizes: SettingsContext) -> str:
    runs = auto_metric_calls(size, max(1, sizes.steps), max(1, sizes.val))
    return f"Up to {runs} program runs on single rows."


SIZES = Presets("GEPA search", (
    *(Preset(size, size.title(), partial(_runs, size), {"auto": size}) for size in AUTO_CANDIDATES),
    Preset("custom", "Set the runs", lambda sizes: "Choose how many program runs GEPA may spend.",
           asks=("max_metric_calls",)),
), chosen=_size)  # fmt: skip


register(OptimizerEntry(
    name="GEPA", factory=GEPA, rank=50,
    aliases=("gepa",),
    label="Learn from feedback: GEPA",
    goal="The proposer model reads where the prompt went wrong, and why, and rewrites the "
    "instruction; it keeps the rewrites that are best on some of your rows.",
    params=(
        Param("auto", str, "light", help="Search size: light, medium or heavy.", optional=True),
        Param("max_metric_calls", int, 200, "Program runs (max)", low=10, high=100_000, step=10,
              optional=True),
        Param("reflection_minibatch_size", int, 3, "Rows the reflection reads", low=1, high=20),
        Param("use_merge", bool, True, "Merge lineages",
              help="Combine two candidates that improved different steps of the pipeline."),
    ),
    roles={"proposer": "reflection_lm"},
    events=(EventKind("reflection", step=_step),),
    presets=SIZES,
    note=lambda params: (
        "Each step, GEPA runs the prompt on a few training rows, the proposer model reads the "
        "answers and the metric's feedback and rewrites the instruction; a rewrite is kept only "
        "if it does better on those rows, then it is scored on the validation rows. Metrics "
        "that explain their score (every built-in one does) help it most."
    ),
    pilot=lambda rows: f"on the first {rows} rows GEPA will reflect on",
    estimate_tolerance=None,  # an upper bound: the search may stop early
    smoke_params={"max_metric_calls": 60, "reflection_minibatch_size": 3},
))  # fmt: skip

__all__ = ["GEPA"]
