"""DSPy's `dspy.utils` path: `DummyLM` and `dummy_rm` (utils/dummies.py), the module
`inspect_history` with `pretty_print_history`, callbacks, usage tracking, saving, `asyncify`,
`syncify` and streaming status messages, and DSPy's submodules of these names."""

from engine.core import BaseCallback, with_callbacks
from engine.lm.usage import UsageTracker, track_usage
from engine.modules.saving import load
from engine.modules.streaming import StatusMessage, StatusMessageProvider, asyncify
from engine.modules.syncify import syncify
from engine.utils import (
    callback,
    callback_context,
    dummies,
    exceptions,
    inspect_history,
    logging_utils,
    saving,
    usage_tracker,
)  # fmt: skip
from engine.utils.dummies import DummyLM, DummyVectorizer, dummy_rm
from engine.utils.inspect_history import pretty_print_history
from engine.utils.logging_utils import configure_dspy_loggers, disable_logging, enable_logging

__all__ = [
    "BaseCallback", "DummyLM", "DummyVectorizer", "StatusMessage", "StatusMessageProvider",
    "UsageTracker", "asyncify", "callback", "callback_context", "configure_dspy_loggers",
    "disable_logging", "dummies", "dummy_rm", "enable_logging", "exceptions", "inspect_history",
    "load", "logging_utils", "pretty_print_history", "saving", "syncify", "track_usage",
    "usage_tracker", "with_callbacks",
]  # fmt: skip
