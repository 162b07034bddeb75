"""DSPy's `dspy.predict.parallel` path."""

from engine.modules import Parallel

__all__ = ["Parallel"]
