"""DSPy's `dspy.utils.callback` path: callbacks, from the engine's core."""

from engine.core import (
    ACTIVE_CALL_ID,
    BaseCallback,
    active_callbacks,
    call_heard,
    with_callbacks,
    with_callbacks_once,
)

__all__ = [
    "ACTIVE_CALL_ID", "BaseCallback", "active_callbacks", "call_heard", "with_callbacks",
    "with_callbacks_once",
]  # fmt: skip
