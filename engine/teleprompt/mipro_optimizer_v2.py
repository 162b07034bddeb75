"""DSPy's `dspy.teleprompt.mipro_optimizer_v2` path."""

from engine.optimizers import MIPROv2

__all__ = ["MIPROv2"]
