"""DSPy's `dspy.clients` path: `LM`, `BaseLM`, `Embedder`, `inspect_history` and the training
job from where they live in the engine, and the submodules `lm` and `base_lm`."""

from engine.clients import base_lm, lm
from engine.lm import LM, BaseLM, disable_litellm_logging, enable_litellm_logging
from engine.lm.embedder import Embedder
from engine.optimizers.finetune import TrainingJob
from engine.utils.inspect_history import inspect_history

__all__ = [
    "BaseLM", "Embedder", "LM", "TrainingJob", "base_lm", "disable_litellm_logging",
    "enable_litellm_logging", "inspect_history", "lm",
]  # fmt: skip
