"""DSPy's `CodeInterpreter` protocol and `resolve_interpreter_factory`."""

from __future__ import annotations

import pytest

import engine as dspy
from engine.primitives.code_interpreter import CodeInterpreter, resolve_interpreter_factory


class Recording:
    """An interpreter of the caller's: evaluates nothing, records the code."""

    def __init__(self) -> None:
        self.codes: list[str] = []

    @property
    def tools(self):
        return {}

    def start(self) -> None:
        pass

    def execute(self, code, variables=None):
        self.codes.append(code)
        return 42

    def shutdown(self) -> None:
        pass


def test_the_protocol_matches_interpreters_by_shape():
    assert isinstance(dspy.PythonInterpreter(), CodeInterpreter)
    assert isinstance(Recording(), dspy.CodeInterpreter)
    assert not isinstance(object(), dspy.CodeInterpreter)


def test_the_factory_is_the_modules_then_the_settings_then_the_sandbox():
    assert resolve_interpreter_factory() is dspy.PythonInterpreter
    assert resolve_interpreter_factory(dspy.PythonInterpreter) is dspy.PythonInterpreter
    assert resolve_interpreter_factory(Recording) is Recording
    with dspy.context(interpreter_factory=Recording):
        assert dspy.resolve_interpreter_factory() is Recording
        assert dspy.resolve_interpreter_factory(dspy.PythonInterpreter) is Recording
    with dspy.context(interpreter_factory="not callable"), pytest.raises(TypeError,
                                                                        match="zero-argument"):
        resolve_interpreter_factory()


def test_code_act_uses_the_configured_interpreter():
    from engine.lm import ScriptedLM

    def add(a: int, b: int) -> int:
        return a + b

    made: list[Recording] = []

    def factory() -> Recording:
        made.append(Recording())
        return made[-1]

    lm = ScriptedLM(answers=[
        "[[ ## generated_code ## ]]\n```python\nprint(add(1, 2))\n```\n\n[[ ## finished ## ]]\n"
        "True\n\n[[ ## completed ## ]]",
        "[[ ## reasoning ## ]]\nr\n\n[[ ## answer ## ]]\n3\n\n[[ ## completed ## ]]",
    ])  # fmt: skip
    with dspy.context(lm=lm, interpreter_factory=factory):
        result = dspy.CodeAct("question -> answer", tools=[add])(question="1+2?")
    assert result.trajectory["code_output_0"] == "42"
    (interpreter,) = made
    assert "def add" in interpreter.codes[0] and interpreter.codes[1] == "print(add(1, 2))"
