"""MIPROv2: proposed instructions and bootstrapped demo sets, searched with Optuna."""

from collections.abc import Mapping
from typing import Any

from engine.optimizers.mipro._legacy import (
    MIPRO,
    BayesianSignatureOptimizer,
    OldOptimizerNameWarning,
)
from engine.optimizers.mipro._mipro import MIPROv2
from engine.optimizers.registry import EventKind, OptimizerEntry, Param, register

DEMO_KEYS = ("max_bootstrapped_demos", "max_labeled_demos")


def _with_demos(params: Mapping[str, Any]) -> bool:
    """Not "instructions only" (both demo counts 0)."""
    return not all(params.get(k) == 0 for k in DEMO_KEYS)


def _note(params: Mapping[str, Any]) -> str | None:
    if _with_demos(params):
        return None
    return (
        "No examples in the prompt: MIPROv2 searches over instructions alone. Pick Light, "
        "Medium or Heavy above to add example sets to the search."
    )


register(OptimizerEntry(
    name="MIPROv2", factory=MIPROv2, rank=30,
    aliases=("mipro", "miprov2"),
    label="Instructions and examples: MIPROv2",
    goal="A proposer model writes new instructions; a Bayesian search (Optuna) tries "
    "instruction and example-set pairs and keeps the best.",
    params=(
        Param("auto", str, "light", help="Search size: light, medium or heavy.", optional=True),
        Param("max_bootstrapped_demos", int, 4, "Model-made examples (max)", low=0, high=16,
              shown=_with_demos),
        Param("max_labeled_demos", int, 4, "Examples in the prompt (max)", low=0, high=32,
              shown=_with_demos),
    ),
    roles={"proposer": "prompt_model"},
    events=(EventKind("proposals", view="dashboard.widgets.proposals_view:proposals_run_view"),),
    widget="dashboard.widgets.mipro_choice:mipro_search",
    note=_note,
    auto_params={"auto": "light", "max_bootstrapped_demos": 0, "max_labeled_demos": 0},
))  # fmt: skip

__all__ = [
    "MIPRO", "BayesianSignatureOptimizer", "MIPROv2", "OldOptimizerNameWarning",
]  # fmt: skip
