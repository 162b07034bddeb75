"""DSPy's `dspy.predict.multi_chain_comparison` path."""

from engine.modules import MultiChainComparison

__all__ = ["MultiChainComparison"]
