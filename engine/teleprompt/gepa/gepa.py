"""DSPy's `dspy.teleprompt.gepa.gepa` path: the `GEPA` optimizer."""

from engine.optimizers import GEPA

__all__ = ["GEPA"]
