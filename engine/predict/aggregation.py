"""DSPy's `dspy.predict.aggregation` path."""

from engine.modules import majority

__all__ = ["majority"]
