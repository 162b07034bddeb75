"""DSPy's `dspy.predict.chain_of_thought` path."""

from engine.modules import ChainOfThought

__all__ = ["ChainOfThought"]
