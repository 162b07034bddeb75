"""Optimizers (DSPy names and call shapes), one subpackage each, and the spine they share:
candidates, trials, budgets, estimates, the run context, the event stream and the registry.
Also importable as `engine.teleprompt`.
"""

import sys

from engine.optimizers import calibration  # noqa: F401 - registers the post-compile step
from engine.optimizers.copro import COPRO
from engine.optimizers.ensemble import Ensemble
from engine.optimizers.fewshot import (
    BootstrapFewShot,
    BootstrapFewShotWithRandomSearch,
    BootstrapRS,
    LabeledFewShot,
)
from engine.optimizers.gepa import GEPA
from engine.optimizers.knn import KNN, KNNFewShot
from engine.optimizers.mipro import MIPROv2
from engine.optimizers.simba import SIMBA
from engine.optimizers.spine import (
    EVENT_TYPES,
    Budget,
    Candidate,
    Estimate,
    Event,
    EventRecorder,
    OptimizationResult,
    Optimizer,
    RunCancelled,
    RunContext,
    Trial,
    TrialRunner,
    derive_seed,
    example_id,
    logging_sink,
)

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
