"""DSPy's `dspy.primitives.code_interpreter` path: the interpreter error and `FinalOutput` (what
`execute` returns for `SUBMIT(...)`); DSPy's `CodeInterpreter` protocol class is not offered."""

from engine.interpreter import CodeExecutionError, CodeInterpreterError, FinalOutput

__all__ = ["CodeExecutionError", "CodeInterpreterError", "FinalOutput"]
