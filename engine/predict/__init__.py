"""DSPy's `dspy.predict` path: `from engine.predict import Predict, ChainOfThought, KNN`.

The modules live in `engine.modules`; `KNN` (DSPy keeps it under predict) in
`engine.optimizers.knn`, loaded on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from engine.modules import *  # noqa: F401,F403
from engine.modules import __all__ as _modules_all


def __getattr__(name: str) -> Any:
    if name == "KNN":
        return importlib.import_module("engine.optimizers.knn").KNN
    raise AttributeError(f"module 'engine.predict' has no attribute {name!r}")


__all__ = [*_modules_all, "KNN"]  # noqa: F405 (KNN: from __getattr__)
