"""BootstrapFinetune: the teacher's passing traces (or the training rows' own answers) as chat
rows, the model's weights tuned on them. BetterTogether (`engine.optimizers.together`) builds on
its public names: `BootstrapFinetune`, `bootstrap_finetune`, `training_params`, `TRAINING_EVENT`,
`check_result` (what the check of a weights run against its start found).

The embedded model is tuned by llama.cpp in its own process (`_process`); the tuned model is a
GGUF file in the run's folder, named `local/<path>.gguf` like any other embedded model.
"""

from engine.optimizers.finetune._check import BASELINE_ORIGIN, check_result
from engine.optimizers.finetune._entries import bootstrap_finetune
from engine.optimizers.finetune._finetune import BootstrapFinetune
from engine.optimizers.finetune._job import TrainingJob, chat_rows
from engine.optimizers.finetune._process import TrainingCancelled, TrainingFailed, run_training
from engine.optimizers.finetune._rows import (
    TRAIN_ON,
    TrainingRow,
    build_rows,
    label_rows,
    passing_traces,
)
from engine.optimizers.finetune._trainer import (
    LLAMA_KWARGS,
    LlamaTrainer,
    Trainer,
    TrainingPlan,
    plan_steps,
)
from engine.optimizers.registry import EventKind, OptimizerEntry, Param, register

TRAINING_EVENT = EventKind("training_step")
TRAIN_ON_CHOICES = tuple(zip(TRAIN_ON, (  # what the Optimize page calls each source
    "Its own answers that score as right", "The right answers in your data", "Both",
), strict=True))  # fmt: skip


def training_params() -> tuple[Param, ...]:
    """The training settings every weight optimizer's entry declares (BootstrapFinetune's and
    BetterTogether's)."""
    return (
        Param("epochs", int, LLAMA_KWARGS["num_train_epochs"][0], "Passes over the training rows",
              low=1, high=20),
        Param("max_steps", int, 0, "Training steps at most (0: no limit)", low=0,
              high=10_000),
        Param("max_rows", int, 0, "Training rows at most (0: all the model gets right)",
              low=0, high="train"),
        Param("learning_rate", float, LLAMA_KWARGS["learning_rate"][0],
              help="AdamW's step size."),
        Param("lr_schedule", str, "constant", help="The step size over the steps: constant, "
              "or down to 0 by the end (linear, cosine).", choices=(
                  ("constant", "Constant"), ("linear", "Down to 0, linearly"),
                  ("cosine", "Down to 0, along a cosine"))),
        Param("warmup", float, 0.0, help="The share of the steps the step size warms up over.",
              low=0, high=1),
        Param("window", int, 512, help="Tokens per training step (a multiple of 256)."),
        Param("packing", bool, LLAMA_KWARGS["packing"][0], help="Several training rows to a "
              "step (fewer steps), or each row alone (packed rows read each other's answers, "
              "which the model never sees when it answers)."),
        Param("threads", int, 1, help="CPU threads the training process uses.", low=1,
              high=64),
        Param("exclude_demos", bool, False, help="Train on the prompts without their examples "
              "(the tuned steps then answer without them)."),
        Param("train_on", str, "traces", "What the model learns from",
              help="The model's own answers that score as right (what it already knows), the "
              "right answers in your data (what it does not know yet), or both.",
              choices=TRAIN_ON_CHOICES),
        Param("loss_on", str, "answer", help="What the training loss counts: the answer alone, "
              "or the prompt's words too.",
              choices=(("answer", "The answer"), ("all", "The prompt and the answer"))),
    )  # fmt: skip


register(OptimizerEntry(
    name="BootstrapFinetune", factory=bootstrap_finetune, rank=90,
    aliases=("bootstrap_finetune", "finetune"),
    label="Tune the model's weights: BootstrapFinetune",
    goal="The model answers every training row; the answers the metric accepts become lessons "
    "(or the right answers in your data do), and the model itself is retrained on them. Takes "
    "minutes on this computer (about 3 seconds per training step), and the result is a new "
    "model file.",
    params=(*training_params(),
            Param("multitask", bool, True, help="One tuned model for all steps (else one each)."),
            Param("min_traces", int, 2, help="Fewest accepted answers to train on.")),
    events=(TRAINING_EVENT,),
    tunes_weights=True,
    smoke_params={"max_steps": 2},
))  # fmt: skip

__all__ = [
    "BASELINE_ORIGIN",
    "BootstrapFinetune",
    "LlamaTrainer",
    "Trainer",
    "TrainingCancelled",
    "TrainingFailed",
    "TrainingJob",
    "chat_rows",
    "TrainingPlan",
    "TrainingRow",
    "TRAIN_ON",
    "TRAINING_EVENT",
    "bootstrap_finetune",
    "build_rows",
    "check_result",
    "label_rows",
    "passing_traces",
    "plan_steps",
    "run_training",
    "training_params",
]
