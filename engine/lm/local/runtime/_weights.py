"""The GGUF file a `local/<name>` model reads: the shipped file, or for `local/smollm2-135m` its
Q8_0 copy (`_requant`), written on first use."""

from __future__ import annotations

from pathlib import Path

from engine.core import LMConfigError
from engine.lm.local.runtime._files import (
    ALIASES,
    LLAMA_CPP_HINT,
    local_runtime_available,
    shipped_path,
    smollm2_path,
    strip_provider,
)
from engine.lm.local.runtime._requant import fast_copy, q8_path


def local_model_path(model: str) -> Path:
    """The GGUF file behind `local/<name>` (an alias like `smollm2-135m` or a `.gguf` path).
    `local/smollm2-135m` is the shipped weights' Q8_0 copy, written on first use (the shipped
    file itself where it cannot be written); `local/smollm2-135m-q4_1` is the shipped file."""
    source = shipped_path(model)
    if strip_provider(model).strip().lower() in ALIASES:
        return fast_copy(source)
    return source


def default_weights_name() -> str | None:
    """The file name `local/smollm2-135m` reads (SmolLM2's Q8_0 copy; looked up, not written),
    or None when the shipped weights are not installed."""
    try:
        return q8_path(smollm2_path()).name
    except (LMConfigError, OSError):
        return None


def ensure_local_ready(model: str) -> Path:
    """The GGUF path for `model`, or an LMConfigError saying what to install."""
    path = local_model_path(model)
    if not local_runtime_available():
        raise LMConfigError(
            f"Model {model!r} needs llama-cpp-python, which is not installed: {LLAMA_CPP_HINT}."
        )
    return path
