"""DSPy's `dspy.predict.refine` path."""

from engine.modules import Refine

__all__ = ["Refine"]
