"""DSPy's `dspy.utils` path: `DummyLM` and `dummy_rm` (utils/dummies.py), and the module
`inspect_history` with `pretty_print_history` (the function is `engine.inspect_history`).

Loaded lazily, like `engine.retrievers`: importing `engine.utils` imports nothing heavy.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "DummyLM": "dummies", "dummy_rm": "dummies",
    "pretty_print_history": "inspect_history",
}  # fmt: skip


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"engine.utils.{_EXPORTS[name]}"), name)
    if name in ("dummies", "inspect_history"):  # modules, as in DSPy
        return importlib.import_module(f"engine.utils.{name}")
    raise AttributeError(f"module 'engine.utils' has no attribute {name!r}")


__all__ = sorted(_EXPORTS)
