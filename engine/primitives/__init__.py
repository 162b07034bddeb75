"""DSPy's `dspy.primitives` path: `Example`, `Prediction` (the engine's core records) and the
door modules beside this file (`module`, `python_interpreter`, ...)."""

from engine.core import Completions, Example, Prediction, total_lm_usage

__all__ = ["Completions", "Example", "Prediction", "total_lm_usage"]
