"""DSPy's `dspy.utils.callback_context` path: `ACTIVE_CALL_ID`, the id of the call a callback
is hearing about."""

from engine.core import ACTIVE_CALL_ID

__all__ = ["ACTIVE_CALL_ID"]
