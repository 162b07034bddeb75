"""DSPy's `dspy.clients.lm` path."""

from engine.lm import LM

__all__ = ["LM"]
