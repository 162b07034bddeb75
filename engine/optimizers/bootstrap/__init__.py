"""BootstrapFewShot: the teacher's own correct runs on training rows as worked examples.

Besides the optimizer, the names other optimizers build on: `bootstrap_calls` (the calls a
bootstrap is expected to make), `teacher_repeats`, `demos_read_again` and
`typical_demos_read_again` (the demos its teacher reads again on a model that keeps prompt
starts), `TraceStep`, `teacher_trace` (one teacher run), `check_errors`, `batch_size`,
`describe_demos` and `DEMO_PARAMS` (the demo settings forms offer).
"""

from engine.optimizers.bootstrap._bootstrap import (
    BootstrapFewShot,
    TraceStep,
    batch_size,
    bootstrap_calls,
    check_errors,
    demos_read_again,
    describe_demos,
    teacher_repeats,
    teacher_trace,
    typical_demos_read_again,
)
from engine.optimizers.registry import AutoPick, OptimizerEntry, Param, register

DEMO_PARAMS = (
    Param("max_bootstrapped_demos", int, 4, "Model-made examples (max)", low=0, high=16,
          help="Worked examples made from the model's own correct answers."),
    Param("max_labeled_demos", int, 8, "Examples in the prompt (max)", low=0, high=32,
          help="Examples in the prompt in all, topped up with your labelled rows."),
)  # fmt: skip

register(
    OptimizerEntry(
        name="BootstrapFewShot",
        factory=BootstrapFewShot,
        rank=10,
        aliases=("bootstrap", "bootstrapfewshot"),
        label="Examples only: BootstrapFewShot",
        goal="Runs the model on training rows and keeps its correct answers as worked examples in "
        "the prompt.",
        params=DEMO_PARAMS,
        auto_pick=AutoPick(19, lambda n: (
            f"{n} training examples: enough to bootstrap demos from the model's own correct "
            "answers, too few for a reliable search over several candidate programs"
        )),
        smoke_params={"max_bootstrapped_demos": 2, "max_labeled_demos": 2},
    )
)  # fmt: skip

__all__ = [
    "DEMO_PARAMS", "BootstrapFewShot", "TraceStep", "batch_size", "bootstrap_calls",
    "check_errors", "demos_read_again", "describe_demos", "teacher_repeats", "teacher_trace",
    "typical_demos_read_again",
]  # fmt: skip
