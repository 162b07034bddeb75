"""Optimizers (DSPy names and call shapes), one subpackage each, and the spine they share:
candidates, trials, budgets, estimates, the run context, the event stream and the registry.
`engine.teleprompt` (DSPy's path) re-exports them with DSPy 2.x's old names.
"""

from engine.optimizers import calibration  # noqa: F401 - registers the post-compile step
from engine.optimizers.bootstrap import BootstrapFewShot
from engine.optimizers.copro import COPRO
from engine.optimizers.ensemble import Ensemble
from engine.optimizers.finetune import BootstrapFinetune
from engine.optimizers.gepa import GEPA
from engine.optimizers.infer_rules import InferRules
from engine.optimizers.knn import KNN, KNNFewShot
from engine.optimizers.labeled import LabeledFewShot
from engine.optimizers.mipro import MIPRO, BayesianSignatureOptimizer, MIPROv2
from engine.optimizers.random_search import BootstrapFewShotWithRandomSearch, BootstrapRS
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
from engine.optimizers.together import BetterTogether

__all__ = [
    "BetterTogether", "BootstrapFewShot", "BootstrapFewShotWithRandomSearch", "BootstrapFinetune",
    "BootstrapRS", "Budget", "COPRO", "InferRules",
    "Candidate", "Ensemble", "GEPA", "KNN", "KNNFewShot", "MIPROv2", "SIMBA",
    "MIPRO", "BayesianSignatureOptimizer",  # DSPy 2.x's names (they warn once)
    "Estimate", "Event", "EventRecorder", "LabeledFewShot", "OptimizationResult", "Optimizer",
    "RunContext", "Trial",
    # helpers (also reachable as engine.<name>)
    "EVENT_TYPES", "RunCancelled", "TrialRunner", "derive_seed", "example_id", "logging_sink",
]  # fmt: skip
