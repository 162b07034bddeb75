"""DSPy's `dspy.utils.saving` path: `load` a whole saved program (engine.modules.saving),
comparing its recorded versions with `get_dependency_versions()` (looked up here at each call)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.modules import saving as _saving
from engine.modules.saved_versions import get_dependency_versions
from engine.modules.saving import logger


def load(path: str | Path, allow_pickle: bool = False) -> Any:
    """A program saved with `save(path, save_program=True)`; needs `allow_pickle=True`. Warns
    (never fails) for each dependency whose version differs from when it was saved."""
    return _saving.load(path, allow_pickle, current_versions=get_dependency_versions())


__all__ = ["get_dependency_versions", "load", "logger"]
