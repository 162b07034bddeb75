"""DSPy's `dspy.primitives.code_interpreter` path: the interpreter error (DSPy's
`CodeInterpreter` protocol and `FinalOutput` are not offered; see docs/COMPATIBILITY.md)."""

from engine.interpreter import CodeInterpreterError

__all__ = ["CodeInterpreterError"]
