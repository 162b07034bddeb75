"""COPRO: the instruction rewritten in rounds, each round reading the scores of the last."""

from engine.optimizers.copro._copro import COPRO
from engine.optimizers.registry import EventKind, OptimizerEntry, Param, register

register(OptimizerEntry(
    name="COPRO", factory=COPRO, rank=40,
    aliases=("copro",),
    label="Rewrite the instruction in rounds: COPRO",
    goal="The proposer model rewrites the instruction again and again, learning from the "
    "scores of earlier attempts. No examples in the prompt.",
    params=(
        Param("breadth", int, 4, "Instructions per round", low=2, high=20),
        Param("depth", int, 2, "Rounds", low=1, high=10),
    ),
    roles={"proposer": "prompt_model"},
    events=(EventKind("proposals"),),
    estimate_tolerance=None,  # an upper bound: the search may stop early
    smoke_params={"breadth": 3, "depth": 2, "race": False},
))  # fmt: skip

__all__ = ["COPRO"]
