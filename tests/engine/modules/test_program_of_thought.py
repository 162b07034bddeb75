"""ProgramOfThought on a scripted LM: code runs in the sandbox, errors (including sandbox
refusals) go back to the LM as feedback, the answer is read from the run's output."""

from __future__ import annotations

import pytest

import engine as dspy
from engine.lm import ScriptedLM
from engine.modules.agents.program_code import code_from_reply
from engine.modules.agents.program_of_thought import ProgramOfThoughtError
from engine.sandbox import SandboxLimits


def code(text):
    return {"reasoning": "Compute it.", "generated_code": text}


def final(value):
    return {"reasoning": "The code printed it.", "answer": value}


def last_user(lm, call):
    return lm.history[call]["messages"][-1]["content"]


def test_predictor_names_and_signatures_match_dspy():
    pot = dspy.ProgramOfThought("question -> answer")
    assert [n for n, _ in pot.named_predictors()] == [
        "code_generate.predict",
        "code_regenerate.predict",
        "generate_output.predict",
    ]
    assert list(pot.code_regenerate.predict.signature.fields) == [
        "question", "previous_code", "error", "reasoning", "generated_code",
    ]  # fmt: skip
    assert list(pot.generate_output.predict.signature.fields) == [
        "question", "final_generated_code", "code_output", "reasoning", "answer",
    ]  # fmt: skip


def test_code_runs_and_the_answer_reads_its_output():
    lm = ScriptedLM(answers=[code("```python\nx = 17 * 3\nprint(x)\n```"), final("51")])
    with dspy.context(lm=lm):
        pred = dspy.ProgramOfThought("question -> answer")(question="What is 17 * 3?")
    assert pred.answer == "51"
    assert pred.attempts == [{"code": "x = 17 * 3\nprint(x)", "output": "51", "error": None}]
    answer_prompt = last_user(lm, 1)
    assert "[[ ## code_output ## ]]\n51" in answer_prompt
    assert "[[ ## final_generated_code ## ]]\nx = 17 * 3" in answer_prompt


def test_submit_and_a_trailing_assignment_are_results():
    lm = ScriptedLM(answers=[code("total = 2 + 2"), final("4")])
    with dspy.context(lm=lm):
        pred = dspy.ProgramOfThought("question -> answer")(question="2 + 2?")
    assert pred.attempts[0]["output"] == "4"
    lm = ScriptedLM(answers=[code("SUBMIT({'answer': 9})"), final("9")])
    with dspy.context(lm=lm):
        pred = dspy.ProgramOfThought("question -> answer")(question="3 * 3?")
    assert pred.attempts[0]["output"] == '{"answer": 9}'


def test_an_error_is_fed_back_and_the_retry_succeeds():
    lm = ScriptedLM(
        answers=[code("print(1 / 0)"), code("print(10 / 2)"), final("5")],
    )
    with dspy.context(lm=lm):
        pred = dspy.ProgramOfThought("question -> answer")(question="10 / 2?")
    assert pred.answer == "5"
    assert [a["error"] for a in pred.attempts] == ["ZeroDivisionError: division by zero", None]
    retry_prompt = last_user(lm, 1)
    assert "[[ ## previous_code ## ]]\nprint(1 / 0)" in retry_prompt
    assert "[[ ## error ## ]]\nZeroDivisionError: division by zero" in retry_prompt


def test_a_sandbox_refusal_is_fed_back_as_the_error():
    lm = ScriptedLM(
        answers=[code("print(open('/etc/passwd').read())"), code("print(42)"), final("42")],
    )
    with dspy.context(lm=lm):
        pred = dspy.ProgramOfThought("question -> answer")(question="q")
    expected = "sandbox refused: reading outside the sandbox directory (open '/etc/passwd')"
    assert pred.attempts[0]["error"] == expected
    assert f"[[ ## error ## ]]\n{expected}" in last_user(lm, 1)
    assert pred.answer == "42"


def test_a_limit_is_fed_back_too():
    lm = ScriptedLM(answers=[code("while True:\n    pass"), code("print(1)"), final("1")])
    pot = dspy.ProgramOfThought(
        "question -> answer", limits=SandboxLimits(cpu_seconds=1, wall_seconds=3)
    )
    with dspy.context(lm=lm):
        pred = pot(question="q")
    assert pred.attempts[0]["error"].startswith("sandbox limit:")


def test_max_iters_failures_raise_a_clear_error():
    lm = ScriptedLM(answers=[code("1 / 0"), code("undefined_name"), code("[][1]")])
    with dspy.context(lm=lm), pytest.raises(ProgramOfThoughtError) as caught:
        dspy.ProgramOfThought("question -> answer", max_iters=3)(question="q")
    assert str(caught.value) == (
        "Max hops reached. Failed to run ProgramOfThought: IndexError: list index out of range"
    )
    assert len(caught.value.attempts) == 3 and lm.calls_made == 3


def test_a_reply_without_the_code_field_uses_its_fenced_block_or_retries():
    fenced = "I will compute.\n```python\nprint(6 * 7)\n```"
    lm = ScriptedLM(answers=[fenced, final("42")])
    with dspy.context(lm=lm, adapter=dspy.ChatAdapter(use_json_fallback=False)):
        pred = dspy.ProgramOfThought("question -> answer")(question="q")
    assert pred.attempts[0]["output"] == "42"
    lm = ScriptedLM(answers=["no code here", code("print(3)"), final("3")])
    with dspy.context(lm=lm, adapter=dspy.ChatAdapter(use_json_fallback=False)):
        pred = dspy.ProgramOfThought("question -> answer")(question="q")
    assert pred.attempts[0]["error"] == "Error: Empty code after parsing."
    assert pred.answer == "3"


def test_typed_outputs_and_missing_inputs():
    lm = ScriptedLM(answers=[code("print(2 ** 10)"), {"reasoning": "r", "value": "1024"}])
    with dspy.context(lm=lm):
        pred = dspy.ProgramOfThought("question -> value: int")(question="2 ** 10?")
    assert pred.value == 1024
    with pytest.raises(dspy.MissingInputError, match=r"missing input field\(s\) \['question'\]"):
        dspy.ProgramOfThought("question -> answer")(query="x")
    with pytest.raises(ValueError, match="max_iters must be >= 1"):
        dspy.ProgramOfThought("question -> answer", max_iters=0)


def test_a_copied_placeholder_is_not_run_and_is_named_in_the_feedback():
    error = code_from_reply("{generated_code}")[1]
    assert error == (
        "Error: the reply repeated the template placeholder {generated_code} instead of Python "
        "code; write the code itself."
    )


@pytest.mark.parametrize(
    "reply, expected",
    [
        ("```python\nprint(1)\n```", "print(1)"),
        ("```\nx = 1\ny = x + 1\n```\nThat's it.", "x = 1\ny = x + 1\ny"),
        ("python\nprint(2)", "print(2)"),
        ("for i in range(2):\n    s = i", "for i in range(2):\n    s = i"),
        ("a == 1", "a == 1"),
    ],
)
def test_code_is_read_from_replies(reply, expected):
    assert code_from_reply(reply) == (expected, None)


def test_state_round_trips_in_the_engine(tmp_path):
    pot = dspy.ProgramOfThought("question -> answer")
    pot.code_generate.predict.demos = [
        dspy.Example(question="1+1?", reasoning="add", generated_code="print(1+1)")
    ]
    pot.save(tmp_path / "pot.json")
    again = dspy.ProgramOfThought("question -> answer").load(tmp_path / "pot.json")
    assert again.code_generate.predict.demos[0].generated_code == "print(1+1)"
