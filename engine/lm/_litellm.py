"""The one place that imports litellm: lazily, quietly, offline.

`import litellm` takes seconds and, unless told otherwise, downloads a price table at import
time. Nothing in `engine` imports it at module level; call `get_litellm()` where an LM call
actually happens. The first call also registers the embedded `local/...` provider.
"""

from __future__ import annotations

import logging
import os
import threading
from types import ModuleType

from engine.lm.local import register_local_provider

_lock = threading.Lock()
_module: ModuleType | None = None
_verbose = False  # enable_litellm_logging() was called last (else: quiet, the default)

_NOISY_LOGGERS = ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy", "litellm", "httpx", "httpcore")


def get_litellm() -> ModuleType:
    """Import litellm once (offline cost map, telemetry off, quiet) and return the module."""
    global _module
    if _module is not None:
        return _module
    with _lock:
        if _module is None:
            os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
            os.environ.setdefault("LITELLM_LOG", "ERROR")
            import litellm

            litellm.telemetry = False
            litellm.turn_off_message_logging = True
            litellm.disable_streaming_logging = True
            litellm.success_callback = []
            litellm.failure_callback = []
            _apply_logging(litellm)

            register_local_provider(litellm)
            _module = litellm
    return _module


def _apply_logging(litellm: ModuleType | None) -> None:
    if litellm is not None:
        litellm.suppress_debug_info = not _verbose
    for name in _NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if _verbose else logging.WARNING)


def enable_litellm_logging() -> None:
    """Let litellm (and its HTTP client) log at DEBUG level, as DSPy's function of this name."""
    global _verbose
    _verbose = True
    _apply_logging(_module)


def disable_litellm_logging() -> None:
    """Quiet litellm again (warnings and errors only): the engine's default."""
    global _verbose
    _verbose = False
    _apply_logging(_module)
