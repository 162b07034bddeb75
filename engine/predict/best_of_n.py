"""DSPy's `dspy.predict.best_of_n` path."""

from engine.modules import BestOfN

__all__ = ["BestOfN"]
