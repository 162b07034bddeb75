"""DSPy's `dspy.primitives.example` path."""

from engine.primitives import Example

__all__ = ["Example"]
