"""Language models: `LM` (any litellm provider or the embedded model), the request cache, the
usage ledger, `ScriptedLM` for tests, and helpers for the embedded `local/...` models.

Importing this package never imports litellm or llama_cpp; the first real call does.
"""

from engine.lm._litellm import disable_litellm_logging, enable_litellm_logging, get_litellm
from engine.lm._structured import schema_form
from engine.lm.base_lm import BaseLM
from engine.lm.cache import RequestCache, get_cache, request_key
from engine.lm.lm import DEFAULT_MODEL, LM, default_lm
from engine.lm.local import (
    ensure_local_ready,
    load_local_model,
    local_model_available,
    local_model_path,
    smollm2_path,
)
from engine.lm.scripted import ScriptedLM, render_fields
from engine.lm.usage import CallRecord, UsageLedger, UsageTotals, UsageTracker, track_usage

__all__ = [
    "get_litellm",
    "disable_litellm_logging",
    "enable_litellm_logging",
    "DEFAULT_MODEL",
    "LM",
    "BaseLM",
    "CallRecord",
    "RequestCache",
    "ScriptedLM",
    "UsageLedger",
    "UsageTotals",
    "UsageTracker",
    "default_lm",
    "ensure_local_ready",
    "get_cache",
    "load_local_model",
    "local_model_available",
    "local_model_path",
    "render_fields",
    "request_key",
    "schema_form",
    "smollm2_path",
    "track_usage",
]
