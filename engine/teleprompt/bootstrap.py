"""DSPy's `dspy.teleprompt.bootstrap` path."""

from engine.optimizers import BootstrapFewShot

__all__ = ["BootstrapFewShot"]
