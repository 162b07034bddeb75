"""Weight optimizers: BootstrapFinetune (the teacher's passing traces as chat rows, the model's
weights tuned on them) and BetterTogether (prompt and weight optimizers in sequence).

Not registered in the optimizer registry yet: the spec, worker, dashboard and export paths do
not handle a tuned model file (docs/design/finetune.md says what is left).
"""

from engine.optimizers.finetune._finetune import BootstrapFinetune
from engine.optimizers.finetune._rows import TrainingRow, build_rows, passing_traces
from engine.optimizers.finetune._together import BetterTogether, parse_strategy
from engine.optimizers.finetune._trainer import LlamaTrainer, Trainer, TrainingPlan, plan_steps

__all__ = [
    "BetterTogether",
    "BootstrapFinetune",
    "LlamaTrainer",
    "Trainer",
    "TrainingPlan",
    "TrainingRow",
    "build_rows",
    "parse_strategy",
    "passing_traces",
    "plan_steps",
]
