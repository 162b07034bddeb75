"""DSPy's `dspy.predict.program_of_thought` path."""

from engine.modules import ProgramOfThought

__all__ = ["ProgramOfThought"]
