"""DSPy's `dspy.teleprompt.simba` path."""

from engine.optimizers import SIMBA

__all__ = ["SIMBA"]
