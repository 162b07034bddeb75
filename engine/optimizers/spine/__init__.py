"""The spine every optimizer shares: the base class and run context, candidates, trials and
their evaluation loop, budgets and estimates, the event stream and pilots."""

from engine.lm.budget import Budget
from engine.optimizers.spine._base import CompileJob, OptimizationResult, Optimizer, derive_seed
from engine.optimizers.spine._budget import (
    RACED_SHARE,
    Estimate,
    Workload,
    baseline_and_result_scoring,
    calls_per_run,
    predictor_count,
    tokens_per_call,
)
from engine.optimizers.spine._build_ahead import BuildAhead
from engine.optimizers.spine._candidate import Candidate, content_hash, example_id
from engine.optimizers.spine._context import RunCancelled, RunContext, start_kept_reason
from engine.optimizers.spine._events import EVENT_TYPES, Event, EventRecorder, logging_sink, step_of
from engine.optimizers.spine._in_flight import IN_FLIGHT
from engine.optimizers.spine._one_line_fit import fit_one_line_outputs
from engine.optimizers.spine._out_of_reach import out_of_reach
from engine.optimizers.spine._pilot import PilotError, run_pilot
from engine.optimizers.spine._pilot_figures import CallFigures, PilotFigures
from engine.optimizers.spine._post_compile import PostCompileStep, register_post_compile
from engine.optimizers.spine._search_scoring import (
    CHANGED_MARK,
    SearchScoring,
    register_search_scoring,
)
from engine.optimizers.spine._trial import Trial
from engine.optimizers.spine._trial_rows import MAX_EXAMPLE_SCORE
from engine.optimizers.spine._trials import TrialRunner

__all__ = [
    "start_kept_reason",

    "baseline_and_result_scoring", "Budget", "BuildAhead", "CallFigures", "calls_per_run",
    "Candidate", "CHANGED_MARK", "CompileJob", "content_hash", "derive_seed", "Estimate", "Event",
    "EVENT_TYPES", "EventRecorder", "example_id", "fit_one_line_outputs", "IN_FLIGHT",
    "logging_sink", "MAX_EXAMPLE_SCORE", "out_of_reach",
    "OptimizationResult", "Optimizer", "PilotError", "PilotFigures", "PostCompileStep",
    "predictor_count", "RACED_SHARE", "register_post_compile", "register_search_scoring",
    "run_pilot", "RunCancelled", "RunContext", "SearchScoring", "step_of", "tokens_per_call",
    "Trial", "TrialRunner", "Workload",
]  # fmt: skip
