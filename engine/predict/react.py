"""DSPy's `dspy.predict.react` path."""

from engine.modules import ReAct, Tool

__all__ = ["ReAct", "Tool"]
