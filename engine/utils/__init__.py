"""DSPy's `dspy.utils` names: callbacks (`engine.utils.callback`), usage tracking, saving,
`asyncify` and streaming status messages (the last three resolved on first use)."""

from __future__ import annotations

import importlib
from typing import Any

from engine.utils.callback import BaseCallback, with_callbacks

_LAZY_NAMES = {
    "asyncify": "engine.streaming",
    "StatusMessage": "engine.streaming",
    "StatusMessageProvider": "engine.streaming",
    "UsageTracker": "engine.lm.usage",
    "track_usage": "engine.lm.usage",
    "load": "engine.modules.saving",
}
_SUBMODULES = {"usage_tracker", "saving", "callback"}


def __getattr__(name: str) -> Any:
    if name in _LAZY_NAMES:
        return getattr(importlib.import_module(_LAZY_NAMES[name]), name)
    if name in _SUBMODULES:
        return importlib.import_module(f"engine.utils.{name}")
    raise AttributeError(f"module 'engine.utils' has no attribute {name!r}")


__all__ = ["BaseCallback", "with_callbacks", *_LAZY_NAMES]
