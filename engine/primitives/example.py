"""DSPy's `dspy.primitives.example` path."""

from engine.core import Example

__all__ = ["Example"]
