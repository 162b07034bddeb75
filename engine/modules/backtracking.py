"""Backtracking: a module whose `forward` fails an Assert or Suggest runs again with feedback.

`Module.__call__` runs every composite module through `call_with_backtracking`. Each attempt
records its steps in a list of its own (then appended to the caller's trace, so traces and
bootstrapped demos hold only the attempt that counted). When a constraint fails, the predictor
that ran last in the attempt gets two kinds of notes on the retry (engine.modules.notes):
`past_<output>` fields with what it answered before, and a `feedback` field ("Instructions:")
with the constraint's message, as dspy 2.5 did. The retry re-runs the whole `forward`; the other
predictors' calls repeat unchanged (and hit the LM cache where it is on).
"""

from __future__ import annotations

import logging
from typing import Any

from engine.adapters import default_adapter
from engine.core import settings
from engine.modules.assertions import ConstraintFailed, Frame, current_frame
from engine.modules.notes import Note, NoteAdapter

logger = logging.getLogger(__name__)


def call_with_backtracking(module: Any, args: tuple, kwargs: dict[str, Any]) -> Any:
    """`module.forward(*args, **kwargs)`, retried on failed constraints (see module docstring)."""
    outer_trace = settings.trace
    max_backtracks = max(0, int(settings.max_backtracks))
    notes: dict[Any, list[Note]] = {}
    attempt = 0
    while True:
        frame = Frame(attempt, max_backtracks)
        token = current_frame.set(frame)
        try:
            with settings.context(trace=frame.steps, **_adapter_with(notes)):
                return module.forward(*args, **kwargs)
        except ConstraintFailed as exc:
            target = frame.last_predictor()
            if exc.final or not frame.can_retry():
                exc.final = True
                raise
            notes[target.signature] = feedback_notes(target, frame.steps, exc.msg)
            logger.info(
                "%s: constraint failed (%s); retry %d of %d with feedback",
                type(module).__name__,
                exc.msg,
                attempt + 1,
                max_backtracks,
            )
            attempt += 1
            frame.steps.clear()  # the failed attempt's steps do not count
        finally:
            current_frame.reset(token)
            if outer_trace is not None:
                outer_trace.extend(frame.steps)


def _adapter_with(notes: dict[Any, list[Note]]) -> dict[str, Any]:
    if not notes:
        return {}
    return {"adapter": NoteAdapter(settings.adapter or default_adapter(), notes)}


def feedback_notes(predictor: Any, steps: list[Any], message: str) -> list[Note]:
    """`past_<output>` notes with the predictor's last outputs, then the `feedback` note."""
    outputs = next((pred for p, _, pred in reversed(steps) if p is predictor), None)
    notes = []
    for name in predictor.signature.output_fields:
        value = outputs.get(name) if outputs is not None and hasattr(outputs, "get") else None
        notes.append(
            Note(
                f"past_{name}",
                "" if value is None else value,
                desc=f"past {name} with errors",
                prefix=f"Previous {name}:",
            )
        )
    notes.append(
        Note("feedback", message, desc="Some instructions you must satisfy", prefix="Instructions:")
    )
    return notes
