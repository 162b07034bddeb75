"""DSPy's `dspy.predict.predict` path: `Predict`, and `serialize_object` (values made JSON-ready,
as a predictor's saved demos hold them)."""

from __future__ import annotations

from engine.modules import Predict
from engine.modules.saving import (
    logger,  # warns when a saved LM's endpoint is not restored
    serialize_object,
)

__all__ = ["Predict", "logger", "serialize_object"]
