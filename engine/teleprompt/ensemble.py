"""DSPy's `dspy.teleprompt.ensemble` path."""

from engine.optimizers import Ensemble

__all__ = ["Ensemble"]
