"""DSPy's `dspy.primitives.prediction` path."""

from engine.core import Completions, Prediction

__all__ = ["Completions", "Prediction"]
