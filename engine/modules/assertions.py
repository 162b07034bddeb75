"""`Assert` and `Suggest`: constraints a program states about its own intermediate outputs.

    dspy.Assert(len(context) > 0, "Retrieval returned nothing — check your corpus.")
    dspy.Suggest(len(answer) < 300, "Keep the answer under 300 characters.")

A met constraint returns True. A failed one, inside a module's `forward`, makes that module run
again with the message as feedback to the predictor that ran last before the check (see
`engine.modules.backtracking`), up to `settings.max_backtracks` times (default 2). When the
retries are used up (or no predictor ran before the check, so a retry could not change the
outcome), a failed `Assert` raises `AssertFailed`: the example fails, and evaluation scores it 0
as "constraint failed: <message>". A failed `Suggest` then logs a warning and returns False, and
the program goes on. Outside any module, `Assert` raises at once and `Suggest` only warns.

dspy 3.x removed these; their names and call shapes follow dspy 2.5 (`dspy.Assert(result, msg)`).
"""

from __future__ import annotations

import contextvars
import logging
from dataclasses import dataclass, field
from typing import Any

from engine.core import TunesmithError
from engine.modules._parameter import Parameter

logger = logging.getLogger(__name__)

CONSTRAINT_FAILED = "constraint failed"  # how evaluation rows name a failed Assert


class ConstraintFailed(TunesmithError, AssertionError):
    """A failed Assert or Suggest. `final` is set once no retry is left for it."""

    def __init__(self, msg: str = "", target_module: Any = None) -> None:
        super().__init__(msg)
        self.msg = msg
        self.target_module = target_module
        self.final = False


class AssertFailed(ConstraintFailed):
    """A failed `Assert` (DSPy 2.5 called it DSPyAssertionError)."""


class SuggestFailed(ConstraintFailed):
    """A failed `Suggest` while a retry is still possible (DSPy 2.5: DSPySuggestionError)."""


DSPyAssertionError = AssertFailed
DSPySuggestionError = SuggestFailed


@dataclass
class Frame:
    """One attempt of one module's `forward`: the steps it recorded and whether it may retry."""

    attempt: int
    max_backtracks: int
    steps: list[Any] = field(default_factory=list)

    def last_predictor(self) -> Any:
        """The Predict that ran last in this attempt (the one feedback goes to), or None."""
        return next((s[0] for s in reversed(self.steps) if isinstance(s[0], Parameter)), None)

    def can_retry(self) -> bool:
        return self.attempt < self.max_backtracks and self.last_predictor() is not None


current_frame: contextvars.ContextVar[Frame | None] = contextvars.ContextVar(
    "tunesmith_constraint_frame", default=None
)


def Assert(result: Any, msg: str = "", target_module: Any = None) -> bool:  # noqa: N802
    """True when `result` holds; else raises AssertFailed (the enclosing module may retry)."""
    if result:
        return True
    raise AssertFailed(msg, target_module)


def Suggest(result: Any, msg: str = "", target_module: Any = None) -> bool:  # noqa: N802
    """True when `result` holds; else asks the enclosing module to retry while it can, and
    otherwise logs a warning and returns False so the program continues."""
    if result:
        return True
    frame = current_frame.get()
    if frame is not None and frame.can_retry():
        raise SuggestFailed(msg, target_module)
    logger.warning("Suggest failed (continuing): %s", msg)
    return False


def failure_text(exc: BaseException) -> str:
    """How an example's failure reads in a result row: 'constraint failed: <msg>' for a failed
    Assert, else '<ErrorType>: <message>'."""
    if isinstance(exc, ConstraintFailed):
        return f"{CONSTRAINT_FAILED}: {exc.msg or 'an Assert failed'}"
    return f"{type(exc).__name__}: {exc}"


def is_constraint_failure(error: str | None) -> bool:
    """Whether a result row's error is a failed Assert."""
    return isinstance(error, str) and error.startswith(CONSTRAINT_FAILED + ":")
