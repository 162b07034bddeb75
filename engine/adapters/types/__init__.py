"""DSPy's `dspy.adapters.types` path: the special field types (from `engine.core`) and `Tool`,
which lives here as in DSPy (`tool.py`)."""

from engine.adapters.types.tool import Tool, ToolError
from engine.core import (
    Audio,
    Code,
    File,
    History,
    Image,
    Reasoning,
    ToolCallResults,
    ToolCalls,
    Type,
)  # fmt: skip

__all__ = [
    "Audio", "Code", "File", "History", "Image", "Reasoning", "Tool", "ToolCallResults",
    "ToolCalls", "ToolError", "Type",
]  # fmt: skip
