"""Tunesmith engine: build and tune LM pipelines with DSPy's names and call shapes.

    import engine as dspy
    dspy.configure(lm=dspy.LM("local/smollm2-135m"))
    classify = dspy.Predict("review -> sentiment: bool")

Importing this package imports neither litellm nor llama_cpp and makes no network access.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from engine.adapters import (  # noqa: E402
    Adapter,
    ChatAdapter,
    JSONAdapter,
    TwoStepAdapter,
    XMLAdapter,
)
from engine.errors import (  # noqa: E402
    AdapterParseError,
    BudgetExhausted,
    LMConfigError,
    LMError,
    MissingInputError,
    ProviderUnreachableError,
    SignatureError,
    SpecError,
    TunesmithError,
)
from engine.evaluate import (  # noqa: E402
    Evaluate,
    EvaluationResult,
    metrics,  # noqa: E402
)
from engine.lm import LM  # noqa: E402
from engine.modules import (  # noqa: E402
    Assert,
    BestOfN,
    ChainOfThought,
    Module,
    MultiChainComparison,
    Parallel,
    Predict,
    ProgramOfThought,
    ReAct,
    Refine,
    Suggest,
    Tool,
    majority,
)
from engine.modules import saved_versions as _saved_versions  # noqa: E402
from engine.primitives import Example, Prediction  # noqa: E402
from engine.retrievers.retrieve import Retrieve  # noqa: E402
from engine.settings import configure, context, settings  # noqa: E402
from engine.signatures import InputField, OutputField, Signature, make_signature  # noqa: E402

sys.modules.setdefault("engine.metrics", metrics)  # `from engine.metrics import Judge` works too

# Names resolved on first use, so optional/heavier parts load only when asked for.
_LAZY = {
    "optimizers": "engine.optimizers",
    "teleprompt": "engine.teleprompt",
    "evaluate": "engine.evaluate",
    "retrievers": "engine.retrievers",
}
# Classes resolved on first use (they import numpy): name -> module
_LAZY_NAMES = {
    "configure_cache": "engine.lm.cache",
    "Embedder": "engine.lm.embedder",
    "PythonInterpreter": "engine.interpreter",
    "CodeInterpreterError": "engine.interpreter",
    "CodeExecutionError": "engine.interpreter",
    "FinalOutput": "engine.interpreter",
}


def __getattr__(name: str) -> Any:
    if name == "cache":  # DSPy's process-wide LM cache (until `engine.cache = ...` replaces it)
        return importlib.import_module("engine.lm.cache").get_cache()
    if name in _LAZY:
        return importlib.import_module(_LAZY[name])
    if name in _LAZY_NAMES:
        return getattr(importlib.import_module(_LAZY_NAMES[name]), name)
    optimizers = importlib.import_module("engine.optimizers")
    if name in getattr(optimizers, "__all__", ()):
        return getattr(optimizers, name)
    raise AttributeError(f"module 'engine' has no attribute {name!r}")


__all__ = [
    "Adapter", "AdapterParseError", "BudgetExhausted", "ChainOfThought", "ChatAdapter", "Evaluate",
    "EvaluationResult", "Example", "InputField", "JSONAdapter", "LM", "LMConfigError", "LMError",
    "MissingInputError", "Module", "OutputField", "Predict", "Prediction", "Retrieve",
    "ProviderUnreachableError", "Signature", "SignatureError", "SpecError", "TunesmithError",
    "configure", "context", "make_signature", "metrics", "settings",
    "Assert", "BestOfN", "MultiChainComparison", "Parallel", "Refine", "Suggest", "majority",
    "ProgramOfThought", "PythonInterpreter", "ReAct", "Tool", "TwoStepAdapter", "XMLAdapter",
]  # fmt: skip

# DSPy-compatibility names, issue 39 (Completions, field types, signature helpers)
from engine.custom_types import Code, Reasoning, Type  # noqa: E402
from engine.field_types import File, History, Image, ToolCalls  # noqa: E402
from engine.primitives import Completions  # noqa: E402
from engine.signatures import SignatureMeta, ensure_signature, infer_prefix  # noqa: E402

__all__ += [
    "Code", "Completions", "File", "History", "Image", "Reasoning", "SignatureMeta", "ToolCalls",
    "Type", "ensure_signature", "infer_prefix",
]  # fmt: skip

# -- DSPy's paths and names (issue 39: submodules, retrieval, metrics, old optimizer names) ------
from engine.adapters import chat as _chat_adapter  # noqa: E402
from engine.errors import ContextWindowExceededError  # noqa: E402
from engine.evaluate import (  # noqa: E402
    CompleteAndGrounded,
    SemanticF1,
    answer_exact_match,
    answer_passage_match,
)

# `from engine.adapters.chat_adapter import ChatAdapter` (DSPy's module name for chat.py)
sys.modules.setdefault("engine.adapters.chat_adapter", _chat_adapter)
sys.modules["engine.adapters"].chat_adapter = _chat_adapter  # type: ignore[attr-defined]
# `from engine.primitives import Module` (DSPy's dspy.primitives holds Module too)
sys.modules["engine.primitives"].Module = Module  # type: ignore[attr-defined]
# `dspy.primitives.base_module` names the module of saved versions (a test patches it there)
sys.modules.setdefault("engine.primitives.base_module", _saved_versions)
sys.modules["engine.primitives"].base_module = _saved_versions  # type: ignore[attr-defined]

_LAZY.update({
    "predict": "engine.predict", "utils": "engine.utils", "clients": "engine.clients",
    "adapters": "engine.adapters", "primitives": "engine.primitives",
    "signatures": "engine.signatures",
})  # fmt: skip
_LAZY_NAMES.update({
    "ColBERTv2": "engine.retrievers.colbertv2",
    "Embeddings": "engine.retrievers.embeddings",
    "inspect_history": "engine.utils.inspect_history",
})  # fmt: skip
__all__ += [
    "BayesianSignatureOptimizer", "ColBERTv2", "CompleteAndGrounded", "ContextWindowExceededError",
    "MIPRO", "SemanticF1", "answer_exact_match", "answer_passage_match", "inspect_history",
]  # fmt: skip

# -- DSPy compatibility (issue 39, items 6-9 and 11): settings, usage, saving, custom LMs,
# callbacks, async and streaming
from engine.errors import NoLMConfiguredError  # noqa: E402
from engine.lm.base_lm import BaseLM  # noqa: E402
from engine.lm.lm import use_embedded_default  # noqa: E402
from engine.lm.usage import UsageTracker, track_usage  # noqa: E402
from engine.modules.module import Module as BaseModule  # noqa: E402
from engine.modules.syncify import syncify  # noqa: E402
from engine.streaming import asyncify, streamify  # noqa: E402
from engine.utils.saving import load  # noqa: E402

load_settings = settings.load
_LAZY.update({"utils": "engine.utils", "streaming": "engine.streaming", "dsp": "engine.dsp"})
__all__ += [
    "BaseLM", "BaseModule", "UsageTracker", "asyncify", "load", "load_settings", "streamify",
    "syncify", "track_usage", "NoLMConfiguredError", "use_embedded_default",
]  # fmt: skip

# -- DSPy compatibility (issue 39, continued): tool results, experimental types
from engine.field_types import ToolCallResults  # noqa: E402

_LAZY.update({"experimental": "engine.experimental"})
__all__ += ["ToolCallResults"]

# -- DSPy compatibility (issue 39, finishing): DSPy 3.4's LM error family, logging switches,
# the Audio type
from engine.audio import Audio  # noqa: E402
from engine.errors import (  # noqa: E402
    DSPyError,
    LMAuthError,
    LMBillingError,
    LMCollectionLimitError,
    LMConfigurationError,
    LMInvalidRequestError,
    LMLockTimeoutError,
    LMNotConfiguredError,
    LMProviderError,
    LMRateLimitError,
    LMServerError,
    LMStreamAssemblyError,
    LMTimeoutError,
    LMTransportError,
    LMUnexpectedError,
    LMUnsupportedFeatureError,
    LMUnsupportedModelError,
    is_retryable_lm_error,
)
from engine.lm import disable_litellm_logging, enable_litellm_logging  # noqa: E402
from engine.modules import CodeAct  # noqa: E402
from engine.utils.logging_utils import (  # noqa: E402
    configure_dspy_loggers,
    disable_logging,
    enable_logging,
)

__all__ += [
    "DSPyError", "LMAuthError", "LMBillingError", "LMCollectionLimitError",
    "LMConfigurationError", "LMInvalidRequestError", "LMLockTimeoutError", "LMNotConfiguredError",
    "LMProviderError", "LMRateLimitError", "LMServerError", "LMStreamAssemblyError",
    "LMTimeoutError", "LMTransportError", "LMUnexpectedError", "LMUnsupportedFeatureError",
    "LMUnsupportedModelError", "is_retryable_lm_error", "configure_dspy_loggers",
    "disable_logging", "enable_logging", "disable_litellm_logging", "enable_litellm_logging",
    "Audio", "CodeAct",
]  # fmt: skip

_LAZY_NAMES.update({
    "TrainingJob": "engine.optimizers.finetune",
    "bootstrap_trace_data": "engine.teleprompt.bootstrap_trace",
    "CodeInterpreter": "engine.interpreter",
    "resolve_interpreter_factory": "engine.interpreter",
    "EmbeddingsWithScores": "engine.retrievers.embeddings",
})  # fmt: skip
__all__ += [
    "TrainingJob", "bootstrap_trace_data", "EmbeddingsWithScores", "CodeInterpreter",
    "resolve_interpreter_factory",
]  # fmt: skip
