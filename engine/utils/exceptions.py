"""DSPy's `dspy.utils.exceptions` path: the errors DSPy keeps there."""

from engine.errors import AdapterParseError, ContextWindowExceededError

__all__ = ["AdapterParseError", "ContextWindowExceededError"]
