"""DSPy's `dspy.primitives.python_interpreter` path (the engine's sandboxed interpreter)."""

from engine.sandbox.interpreter import CodeInterpreterError, PythonInterpreter

__all__ = ["CodeInterpreterError", "PythonInterpreter"]
