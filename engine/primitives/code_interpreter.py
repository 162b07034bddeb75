"""DSPy's `dspy.primitives.code_interpreter` path: the interpreter error and `FinalOutput` (what
`execute` returns for `SUBMIT(...)`); DSPy's `CodeInterpreter` protocol class is not offered."""

from engine.interpreter import CodeInterpreterError, FinalOutput

__all__ = ["CodeInterpreterError", "FinalOutput"]
