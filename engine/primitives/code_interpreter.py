"""DSPy's `dspy.primitives.code_interpreter` path: the `CodeInterpreter` protocol, the
interpreter errors, `FinalOutput` (what `execute` returns for `SUBMIT(...)`) and
`resolve_interpreter_factory`."""

from engine.sandbox.interpreter import (
    CodeExecutionError,
    CodeInterpreter,
    CodeInterpreterError,
    FinalOutput,
    resolve_interpreter_factory,
)

__all__ = [
    "CodeExecutionError", "CodeInterpreter", "CodeInterpreterError", "FinalOutput",
    "resolve_interpreter_factory",
]  # fmt: skip
