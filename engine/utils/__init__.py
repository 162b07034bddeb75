"""DSPy's `dspy.utils` path: `DummyLM` and `dummy_rm` (utils/dummies.py), the module
`inspect_history` with `pretty_print_history`, callbacks (`engine.utils.callback`), usage
tracking, saving, `asyncify` and streaming status messages (resolved on first use, so
importing `engine.utils` imports nothing heavy)."""

from __future__ import annotations

import importlib
from typing import Any

from engine.utils.callback import BaseCallback, with_callbacks

_LAZY_NAMES = {
    "DummyLM": "engine.utils.dummies",
    "dummy_rm": "engine.utils.dummies",
    "DummyVectorizer": "engine.utils.dummies",
    "pretty_print_history": "engine.utils.inspect_history",
    "asyncify": "engine.streaming",
    "syncify": "engine.modules.syncify",
    "StatusMessage": "engine.streaming",
    "StatusMessageProvider": "engine.streaming",
    "UsageTracker": "engine.lm.usage",
    "track_usage": "engine.lm.usage",
    "load": "engine.modules.saving",
    "configure_dspy_loggers": "engine.utils.logging_utils",
    "disable_logging": "engine.utils.logging_utils",
    "enable_logging": "engine.utils.logging_utils",
}  # fmt: skip
_SUBMODULES = {
    "dummies", "inspect_history", "usage_tracker", "saving", "callback", "exceptions",
    "callback_context", "logging_utils",
}  # fmt: skip


def __getattr__(name: str) -> Any:
    if name in _LAZY_NAMES:
        return getattr(importlib.import_module(_LAZY_NAMES[name]), name)
    if name in _SUBMODULES:  # modules, as in DSPy
        return importlib.import_module(f"engine.utils.{name}")
    raise AttributeError(f"module 'engine.utils' has no attribute {name!r}")


__all__ = ["BaseCallback", "with_callbacks", *_LAZY_NAMES]
