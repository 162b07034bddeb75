"""DSPy's `dspy.teleprompt.random_search` path."""

from engine.optimizers import BootstrapFewShotWithRandomSearch

__all__ = ["BootstrapFewShotWithRandomSearch"]
