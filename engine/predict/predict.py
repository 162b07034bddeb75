"""DSPy's `dspy.predict.predict` path: `Predict`, and `serialize_object` (values made JSON-ready,
as a predictor's saved demos hold them)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from engine.modules import Predict
from engine.modules.saving import logger  # warns when a saved LM's endpoint is not restored


def serialize_object(obj: Any) -> Any:
    """`obj` with every pydantic model inside it (lists, tuples, dicts) dumped in JSON mode."""
    if isinstance(obj, BaseModel):
        return obj.model_dump(mode="json")
    if isinstance(obj, dict):
        return {key: serialize_object(value) for key, value in obj.items()}
    if isinstance(obj, list | tuple):
        return type(obj)(serialize_object(item) for item in obj)
    return obj


__all__ = ["Predict", "logger", "serialize_object"]
