"""`ProgramOfThought(interpreter_factory=)` (issue 39, item 13): a caller's interpreter runs the
code (one per call, shut down after it), as in DSPy; without one, code runs in the sandbox."""

from __future__ import annotations

import pytest

import engine as dspy
from engine.lm import ScriptedLM

GENERATE = (
    "[[ ## reasoning ## ]]\nAdd them.\n\n[[ ## generated_code ## ]]\n```python\n{code}\n```\n\n"
    "[[ ## completed ## ]]"
)
ANSWER = "[[ ## reasoning ## ]]\nThe code said so.\n\n[[ ## answer ## ]]\n{answer}\n\n" \
    "[[ ## completed ## ]]"


class RecordingInterpreter:
    """Runs nothing: answers each execute() from a script and records the code."""

    made: list[RecordingInterpreter] = []

    def __init__(self, answers):
        self.answers = list(answers)
        self.codes: list[str] = []
        self.shut = False
        RecordingInterpreter.made.append(self)

    def execute(self, code, variables=None):
        self.codes.append(code)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def test_a_factory_makes_one_interpreter_per_call_and_shuts_it_down():
    RecordingInterpreter.made = []
    lm = ScriptedLM([GENERATE.format(code="print(1 + 2)"), ANSWER.format(answer="3")] * 2)
    pot = dspy.ProgramOfThought(
        "question -> answer", interpreter_factory=lambda: _shutting(RecordingInterpreter(["3"]))
    )
    with dspy.context(lm=lm):
        first = pot(question="1 + 2?")
        pot(question="1 + 2?")
    assert first.answer == "3"
    assert [i.codes for i in RecordingInterpreter.made] == [["print(1 + 2)"], ["print(1 + 2)"]]
    assert all(i.shut for i in RecordingInterpreter.made)
    # the result is shown to the LM as JSON, as DSPy does
    assert first.attempts == [{"code": "print(1 + 2)", "output": '"3"', "error": None}]


def _shutting(interpreter):
    interpreter.shutdown = lambda: setattr(interpreter, "shut", True)
    return interpreter


def test_an_interpreter_error_goes_back_to_the_lm_and_a_configured_factory_is_used():
    RecordingInterpreter.made = []
    lm = ScriptedLM([
        GENERATE.format(code="1/0"), GENERATE.format(code="SUBMIT(2)"), ANSWER.format(answer="2"),
    ])  # fmt: skip
    failed = dspy.CodeExecutionError("division by zero")  # the code's own error
    factory = lambda: RecordingInterpreter([failed, dspy.FinalOutput({"v": 2})])  # noqa: E731
    with dspy.context(lm=lm, interpreter_factory=factory):
        pred = dspy.ProgramOfThought("question -> answer")(question="two?")
    assert pred.answer == "2"
    assert [a["error"] for a in pred.attempts] == ["CodeExecutionError: division by zero", None]
    assert pred.attempts[1]["output"] == '{"v": 2}'  # FinalOutput's value
    regenerate = lm.history[1]["messages"][-1]["content"]
    assert "CodeExecutionError: division by zero" in regenerate


def test_a_broken_interpreter_stops_the_program_and_is_shut_down():
    made = []

    def factory():
        made.append(_shutting(RecordingInterpreter([dspy.CodeInterpreterError("protocol"), "1"])))
        return made[-1]

    lm = ScriptedLM([GENERATE.format(code="print(1)")] * 2)
    with dspy.context(lm=lm), pytest.raises(dspy.CodeInterpreterError, match="protocol"):
        dspy.ProgramOfThought("question -> answer", interpreter_factory=factory)(question="?")
    assert made[0].shut and len(lm.history) == 1  # no second attempt


def test_an_interpreter_keyword_and_a_chained_assignment_are_refused():
    pot = dspy.ProgramOfThought("question -> answer")
    with pytest.raises(TypeError, match="first positional argument"):
        pot(question="?", interpreter=RecordingInterpreter([]))
    lm = ScriptedLM([GENERATE.format(code="invalid=python=code")] * 2)
    with dspy.context(lm=lm), pytest.raises(RuntimeError, match="Code format is not correct"):
        dspy.ProgramOfThought("question -> answer", max_iters=2)(question="?")
    assert [call["messages"][-1]["content"].count("Code format") for call in lm.history] == [0, 1]


def test_other_interpreter_errors_propagate_and_a_callers_interpreter_stays_open():
    RecordingInterpreter.made = []
    made = []

    def factory():
        made.append(_shutting(RecordingInterpreter([ValueError("broken")])))
        return made[-1]

    lm = ScriptedLM([GENERATE.format(code="print(1)")])
    with dspy.context(lm=lm), pytest.raises(ValueError, match="broken"):
        dspy.ProgramOfThought("question -> answer", interpreter_factory=factory)(question="?")
    assert made[0].shut  # shut down even so
    mine = _shutting(RecordingInterpreter(["4"]))
    lm = ScriptedLM([GENERATE.format(code="print(4)"), ANSWER.format(answer="4")])
    with dspy.context(lm=lm):
        pred = dspy.ProgramOfThought("question -> answer", interpreter_factory=factory)(
            mine, question="2 + 2?"
        )
    assert pred.answer == "4" and mine.codes == ["print(4)"] and not mine.shut
    assert len(made) == 1  # the factory was not used for a caller's interpreter


def test_without_a_factory_the_sandbox_runs_the_code():
    lm = ScriptedLM([GENERATE.format(code="print(6 * 7)"), ANSWER.format(answer="42")])
    with dspy.context(lm=lm):
        pred = dspy.ProgramOfThought("question -> answer")(question="6 * 7?")
    assert pred.attempts[0]["output"].strip() == "42"
    # engine's own PythonInterpreter as the factory is the sandbox too
    assert dspy.ProgramOfThought("q -> a", interpreter_factory=dspy.PythonInterpreter)._factory() \
        is None


def test_a_factory_that_is_not_callable_is_refused():
    with pytest.raises(TypeError, match="interpreter_factory"):
        dspy.ProgramOfThought("question -> answer", interpreter_factory="python")
