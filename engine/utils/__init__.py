"""DSPy's `dspy.utils` names: callbacks (`engine.utils.callback`)."""

from engine.utils.callback import BaseCallback, with_callbacks

__all__ = ["BaseCallback", "with_callbacks"]
