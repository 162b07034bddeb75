"""DSPy's `dspy.predict` path: `from engine.predict import Predict, ChainOfThought, KNN`.

The modules live in `engine.modules`; `KNN` (DSPy keeps it under predict) in
`engine.optimizers.knn`.
"""

from engine.modules import *  # noqa: F401,F403
from engine.modules import __all__ as _modules_all
from engine.optimizers.knn import KNN

__all__ = [*_modules_all, "KNN"]
