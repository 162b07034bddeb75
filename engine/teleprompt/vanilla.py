"""DSPy's `dspy.teleprompt.vanilla` path."""

from engine.optimizers import LabeledFewShot

__all__ = ["LabeledFewShot"]
