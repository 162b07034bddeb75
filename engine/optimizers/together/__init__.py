"""BetterTogether: prompt and weight optimizers in sequence ("p -> w -> p"), the program after
each step scored on the validation rows and the best one kept. Its `w` step is BootstrapFinetune,
through `engine.optimizers.finetune`'s public names."""

from engine.optimizers.finetune import TRAINING_EVENT, training_params
from engine.optimizers.registry import OptimizerEntry, Param, register
from engine.optimizers.together._entries import better_together
from engine.optimizers.together._together import BetterTogether, parse_strategy

register(OptimizerEntry(
    name="BetterTogether", factory=better_together, rank=95,
    aliases=("better_together",),
    label="Prompts and weights together: BetterTogether",
    goal="Finds good examples for the prompt, retrains the model's weights on the answers it "
    "gets right, then finds examples again; the best step on held-back rows wins.",
    params=(Param("strategy", str, "p -> w -> p",
                  help="Steps in order: p finds prompt examples, w tunes the weights."),
            Param("candidates", int, 6, "Example sets tried per prompt step", low=1, high=30),
            *training_params()),
    events=(TRAINING_EVENT,),
    estimate_tolerance=None,
    tunes_weights=True,
    smoke_params={"strategy": "p -> w", "candidates": 2, "max_steps": 2},
))  # fmt: skip

__all__ = ["BetterTogether", "better_together", "parse_strategy"]
