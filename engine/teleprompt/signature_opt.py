"""DSPy's `dspy.teleprompt.signature_opt` path."""

from engine.optimizers import COPRO

__all__ = ["COPRO"]
