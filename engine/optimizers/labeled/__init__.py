"""LabeledFewShot: labelled training rows as the prompt's examples.

`labeled_rng` and `set_labeled_demos` are DSPy's labeled draw, shared by the optimizers that
fill their prompts up with labelled rows (BootstrapFewShot, random search).
"""

from engine.optimizers.labeled._labeled import LabeledFewShot, labeled_rng, set_labeled_demos
from engine.optimizers.registry import AutoPick, OptimizerEntry, Param, register

register(OptimizerEntry(
    name="LabeledFewShot", factory=LabeledFewShot, rank=80,
    aliases=("labeled", "labeledfewshot"),
    label="Labels only: LabeledFewShot",
    goal="Puts some of your labelled rows into the prompt as examples. No model calls to "
    "prepare; fastest.",
    params=(Param("k", int, 8, "Examples in the prompt", low=1, high=32),),
    estimate_tolerance=0.0,
    needs_train=False,
    auto_pick=AutoPick(0, lambda n: "no training examples: nothing to learn from, the program "
                       "stays zero-shot"),
    smoke_params={"k": 2},
))  # fmt: skip

__all__ = ["LabeledFewShot", "labeled_rng", "set_labeled_demos"]
