"""The spine every optimizer shares: the base class and run context, candidates, trials and
their evaluation loop, budgets and estimates, the event stream and pilots."""

from engine.lm.budget import Budget
from engine.optimizers.spine._base import CompileJob, OptimizationResult, Optimizer, derive_seed
from engine.optimizers.spine._budget import Estimate, Workload, baseline_and_result_scoring
from engine.optimizers.spine._candidate import Candidate, example_id
from engine.optimizers.spine._context import RunCancelled, RunContext
from engine.optimizers.spine._events import EVENT_TYPES, Event, EventRecorder, logging_sink
from engine.optimizers.spine._trial import Trial
from engine.optimizers.spine._trials import TrialRunner

__all__ = [
    "EVENT_TYPES", "Budget", "Candidate", "CompileJob", "Estimate", "Event", "EventRecorder",
    "OptimizationResult", "Optimizer", "RunCancelled", "RunContext", "Trial", "TrialRunner",
    "Workload", "baseline_and_result_scoring", "derive_seed", "example_id", "logging_sink",
]  # fmt: skip
