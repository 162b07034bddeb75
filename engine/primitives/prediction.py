"""DSPy's `dspy.primitives.prediction` path."""

from engine.primitives import Completions, Prediction

__all__ = ["Completions", "Prediction"]
