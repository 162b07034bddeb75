"""DSPy's `dspy.clients.base_lm` path: `BaseLM` and the saved-state key naming an LM class."""

from engine.lm import BaseLM
from engine.lm.lm import LM_CLASS_STATE_KEY

__all__ = ["LM_CLASS_STATE_KEY", "BaseLM"]
