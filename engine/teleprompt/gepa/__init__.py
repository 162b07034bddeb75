"""DSPy's `dspy.teleprompt.gepa` path: `GEPA`, and its `instruction_proposal` module with a
proposer that follows GEPA's `instruction_proposer` protocol."""

from engine.optimizers import GEPA
from engine.teleprompt.gepa import instruction_proposal

__all__ = ["GEPA", "instruction_proposal"]
