"""Optimizers (DSPy names and call shapes) and the pieces they share: candidates, trials,
budgets, estimates, the run context and the event stream. Also importable as `engine.teleprompt`.
"""

import sys

from engine.optimizers.base import (
    OptimizationResult,
    Optimizer,
    RunCancelled,
    RunContext,
    derive_seed,
)
from engine.optimizers.bootstrap import BootstrapFewShot
from engine.optimizers.budget import Budget, Estimate
from engine.optimizers.candidate import Candidate, example_id
from engine.optimizers.copro import COPRO
from engine.optimizers.ensemble import Ensemble
from engine.optimizers.events import EVENT_TYPES, Event, EventRecorder, logging_sink
from engine.optimizers.gepa import GEPA
from engine.optimizers.knn import KNN
from engine.optimizers.knn_fewshot import KNNFewShot
from engine.optimizers.labeled_fewshot import LabeledFewShot
from engine.optimizers.mipro import MIPROv2
from engine.optimizers.random_search import BootstrapFewShotWithRandomSearch, BootstrapRS
from engine.optimizers.simba import SIMBA
from engine.optimizers.trials import Trial, TrialRunner

# `import engine.teleprompt` / `from engine.teleprompt import ...` once this package is loaded
sys.modules.setdefault("engine.teleprompt", sys.modules[__name__])

__all__ = [
    "BootstrapFewShot", "BootstrapFewShotWithRandomSearch", "BootstrapRS", "Budget", "COPRO",
    "Candidate", "Ensemble", "GEPA", "KNN", "KNNFewShot", "MIPROv2", "SIMBA",
    "Estimate", "Event", "EventRecorder", "LabeledFewShot", "OptimizationResult", "Optimizer",
    "RunContext", "Trial",
    # helpers (also reachable as engine.<name>)
    "EVENT_TYPES", "RunCancelled", "TrialRunner", "derive_seed", "example_id", "logging_sink",
]  # fmt: skip
