"""Tunesmith engine: build and tune LM pipelines with DSPy's names and call shapes.

    import engine as dspy
    dspy.configure(lm=dspy.LM("local/smollm2-135m"))
    classify = dspy.Predict("review -> sentiment: bool")

Importing this package imports neither litellm nor llama_cpp and makes no network access. The
optimizers, the LM cache, the code interpreter and DSPy's path folders load on first use
(`_LAZY`): `import engine` takes 0.7-0.9 s on the 2-core machines here, and 0.9-1.3 s with those
parts imported too (measured 2026-11-28, six runs each), so a script that never tunes saves about
a fifth of its start.
"""
# ruff: noqa: E402, I001 (the environment first; then DSPy's names, grouped by where they live)

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from engine.core import (
    Audio, Code, Completions, ContextWindowExceededError, Example, File, History, Image,
    InputField, OutputField, Prediction, Reasoning, Signature, SignatureMeta, ToolCallResults,
    ToolCalls, Type, configure, context, ensure_signature, infer_prefix, make_signature, settings,
)
from engine.core import (
    AdapterParseError, BudgetExhausted, DSPyError, LMAuthError, LMBillingError,
    LMCollectionLimitError, LMConfigError, LMConfigurationError, LMError, LMInvalidRequestError,
    LMLockTimeoutError, LMNotConfiguredError, LMProviderError, LMRateLimitError, LMServerError,
    LMStreamAssemblyError, LMTimeoutError, LMTransportError, LMUnexpectedError,
    LMUnsupportedFeatureError, LMUnsupportedModelError, MissingInputError, NoLMConfiguredError,
    ProviderUnreachableError, SignatureError, SpecError, TunesmithError, is_retryable_lm_error,
)
from engine.adapters import Adapter, ChatAdapter, JSONAdapter, TwoStepAdapter, XMLAdapter
from engine.adapters import chat as _chat_adapter
from engine.lm import LM, disable_litellm_logging, enable_litellm_logging
from engine.lm.base_lm import BaseLM
from engine.lm.lm import use_embedded_default
from engine.lm.usage import UsageTracker, track_usage
from engine.modules import (
    Assert, BestOfN, ChainOfThought, CodeAct, Module, MultiChainComparison, Parallel, Predict,
    ProgramOfThought, ReAct, Refine, Suggest, Tool, majority,
)
from engine.modules import saved_versions as _saved_versions
from engine.modules.module import Module as BaseModule
from engine.modules.streaming import asyncify, streamify
from engine.modules.syncify import syncify
from engine.retrievers import ColBERTv2, Embeddings, EmbeddingsWithScores, Retrieve
from engine.evaluate import (
    CompleteAndGrounded, Evaluate, EvaluationResult, SemanticF1, answer_exact_match,
    answer_passage_match, metrics,
)
from engine.utils.logging_utils import configure_dspy_loggers, disable_logging, enable_logging
from engine.utils.saving import load
import engine.primitives as _primitives

# DSPy's paths whose modules have other names here
sys.modules.setdefault("engine.metrics", metrics)  # `from engine.metrics import Judge`
sys.modules.setdefault("engine.adapters.chat_adapter", _chat_adapter)
sys.modules["engine.adapters"].chat_adapter = _chat_adapter  # type: ignore[attr-defined]
_primitives.Module = Module  # type: ignore[attr-defined]  (dspy.primitives holds Module too)
# `dspy.primitives.base_module` names the module of saved versions (a test patches it there)
sys.modules.setdefault("engine.primitives.base_module", _saved_versions)
_primitives.base_module = _saved_versions  # type: ignore[attr-defined]

load_settings = settings.load

# DSPy's path folders, loaded on first use
_LAZY = {
    name: f"engine.{name}"
    for name in (
        "optimizers", "teleprompt", "predict", "clients", "signatures",
        "streaming", "dsp", "experimental",
    )
}  # fmt: skip
# names loaded on first use (the cache, the sandbox, the optimizers): name -> module
_LAZY_NAMES = {
    "configure_cache": "engine.lm.cache", "Embedder": "engine.lm.embedder",
    "inspect_history": "engine.utils.inspect_history",
    "TrainingJob": "engine.optimizers.finetune",
    "bootstrap_trace_data": "engine.teleprompt.bootstrap_trace",
    **dict.fromkeys(
        ("PythonInterpreter", "CodeInterpreter", "CodeInterpreterError", "CodeExecutionError",
         "FinalOutput", "resolve_interpreter_factory"),
        "engine.sandbox.interpreter",
    ),
}  # fmt: skip


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
    "Adapter", "AdapterParseError", "answer_exact_match", "answer_passage_match", "Assert",
    "asyncify", "Audio", "BaseLM", "BaseModule", "BayesianSignatureOptimizer", "BestOfN",
    "bootstrap_trace_data", "BudgetExhausted", "ChainOfThought", "ChatAdapter", "Code", "CodeAct",
    "CodeInterpreter", "ColBERTv2", "CompleteAndGrounded", "Completions", "configure",
    "configure_dspy_loggers", "context", "ContextWindowExceededError", "disable_litellm_logging",
    "disable_logging", "DSPyError", "Embeddings", "EmbeddingsWithScores", "enable_litellm_logging",
    "enable_logging", "ensure_signature", "Evaluate", "EvaluationResult", "Example", "File",
    "History", "Image", "infer_prefix", "InputField", "inspect_history", "is_retryable_lm_error",
    "JSONAdapter", "LM", "LMAuthError", "LMBillingError", "LMCollectionLimitError",
    "LMConfigError", "LMConfigurationError", "LMError", "LMInvalidRequestError",
    "LMLockTimeoutError", "LMNotConfiguredError", "LMProviderError", "LMRateLimitError",
    "LMServerError", "LMStreamAssemblyError", "LMTimeoutError", "LMTransportError",
    "LMUnexpectedError", "LMUnsupportedFeatureError", "LMUnsupportedModelError", "load",
    "load_settings", "majority", "make_signature", "metrics", "MIPRO", "MissingInputError",
    "Module", "MultiChainComparison", "NoLMConfiguredError", "OutputField", "Parallel", "Predict",
    "Prediction", "ProgramOfThought", "ProviderUnreachableError", "PythonInterpreter", "ReAct",
    "Reasoning", "Refine", "resolve_interpreter_factory", "Retrieve", "SemanticF1", "settings",
    "Signature", "SignatureError", "SignatureMeta", "SpecError", "streamify", "Suggest", "syncify",
    "Tool", "ToolCallResults", "ToolCalls", "track_usage", "TrainingJob", "TunesmithError",
    "TwoStepAdapter", "Type", "UsageTracker", "use_embedded_default", "XMLAdapter",
]  # fmt: skip
