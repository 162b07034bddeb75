"""CodeAct: code actions run in the engine's sandbox, the tools as functions inside it."""

from __future__ import annotations

import pytest

import engine as dspy
from engine.lm import ScriptedLM


def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


def read_secret() -> str:
    """Read a file of the host."""
    with open("/etc/hostname") as handle:
        return handle.read()


def _step(code: str, finished: bool) -> str:
    return (f"[[ ## generated_code ## ]]\n```python\n{code}\n```\n\n"
            f"[[ ## finished ## ]]\n{finished}\n\n[[ ## completed ## ]]")  # fmt: skip


ANSWER = "[[ ## reasoning ## ]]\nfrom the output\n\n[[ ## answer ## ]]\n15\n\n[[ ## completed ## ]]"


def test_steps_run_in_the_sandbox_with_the_tools_and_earlier_names():
    lm = ScriptedLM(answers=[
        _step("x = add(2, 3)\nprint('first', x)", False),
        _step("print(add(x, 10))", True),
        ANSWER,
    ])  # fmt: skip
    act = dspy.CodeAct("question -> answer", tools=[add])
    with dspy.context(lm=lm):
        result = act(question="2 + 3, then + 10?")
    assert result.answer == "15"
    assert result.trajectory["code_output_0"] == "first 5"
    assert result.trajectory["code_output_1"] == "15"  # step 0's print is not repeated
    assert len(lm.history) == 3  # finished after step 1: then the extractor
    assert "add, whose description is <desc>Add two numbers.</desc>" in (
        lm.history[0]["messages"][0]["content"]
    )
    assert [name for name, _ in act.named_predictors()] == ["codeact", "extractor.predict"]


def test_a_tool_gets_the_sandboxs_rights_only():
    lm = ScriptedLM(answers=[_step("print(read_secret())", True), ANSWER])
    act = dspy.CodeAct("question -> answer", tools=[read_secret])
    with dspy.context(lm=lm):
        result = act(question="What is the host called?")
    observation = result.trajectory["observation_0"]
    assert observation.startswith("Failed to execute the generated code")
    assert "refused" in observation or "Permission" in observation
    assert "code_output_0" not in result.trajectory


def test_errors_and_unreadable_code_go_back_to_the_lm_until_max_iters():
    lm = ScriptedLM(answers=[
        _step("print(1 / 0)", False),
        "[[ ## generated_code ## ]]\n\n[[ ## finished ## ]]\nFalse\n\n[[ ## completed ## ]]",
        ANSWER,
    ])  # fmt: skip
    act = dspy.CodeAct("question -> answer", tools=[add], max_iters=2)
    with dspy.context(lm=lm):
        result = act(question="?")
    assert "ZeroDivisionError" in result.trajectory["observation_0"]
    assert result.trajectory["observation_1"].startswith("Failed to parse the generated code")
    assert "1 / 0" in lm.history[1]["messages"][-1]["content"]  # the LM saw its failed step


def test_only_plain_functions_are_tools():
    with pytest.raises(ValueError, match="plain function"):
        dspy.CodeAct("question -> answer", tools=[lambda a: a])
    with pytest.raises(ValueError, match="plain function"):
        dspy.CodeAct("question -> answer", tools=[len])
    with pytest.raises(ValueError, match="max_iters"):
        dspy.CodeAct("question -> answer", tools=[add], max_iters=0)


def test_dspy_paths():
    from engine.predict import CodeAct

    assert CodeAct is dspy.CodeAct
