"""DSPy's `dspy.adapters.types` path: the special field types, from where they live in the
engine (`engine.field_types`, `engine.custom_types`, `engine.audio`; `Tool` in engine.modules,
resolved on first use)."""

from __future__ import annotations

import importlib
from typing import Any

from engine.audio import Audio
from engine.custom_types import Code, Reasoning, Type
from engine.field_types import File, History, Image, ToolCallResults, ToolCalls


def __getattr__(name: str) -> Any:
    if name == "Tool":
        return importlib.import_module("engine.modules.tool").Tool
    raise AttributeError(f"module 'engine.adapters.types' has no attribute {name!r}")


__all__ = [
    "Audio", "Code", "File", "History", "Image", "Reasoning", "Tool", "ToolCallResults",
    "ToolCalls", "Type",
]  # fmt: skip
