"""DSPy's `dspy.clients` path: `LM`, `Embedder` and `inspect_history` from where they live in
the engine (`engine.lm`, `engine.utils`). `BaseLM` resolves once `engine.lm` offers it."""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "LM": "engine.lm", "BaseLM": "engine.lm", "Embedder": "engine.lm.embedder",
    "inspect_history": "engine.utils.inspect_history",
    "enable_litellm_logging": "engine.lm", "disable_litellm_logging": "engine.lm",
    "TrainingJob": "engine.optimizers.finetune",
}  # fmt: skip


_SUBMODULES = {"lm", "base_lm"}


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:  # `dspy.clients.lm.LM`, as in DSPy
        return importlib.import_module(f"engine.clients.{name}")
    if name in _EXPORTS:
        module = importlib.import_module(_EXPORTS[name])
        if hasattr(module, name):
            return getattr(module, name)
    raise AttributeError(f"module 'engine.clients' has no attribute {name!r}")


__all__ = sorted(n for n in _EXPORTS if n != "BaseLM")  # BaseLM: only once engine.lm has it
