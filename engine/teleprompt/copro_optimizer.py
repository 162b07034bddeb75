"""DSPy's `dspy.teleprompt.copro_optimizer` path."""

from engine.optimizers import COPRO

__all__ = ["COPRO"]
