"""ReAct's trajectory as DSPy keeps it (issue 39, continued): a tool's own value as the
observation (the prompt shows its text), and on a context-window error the oldest step is
dropped from the kept trajectory (`truncate_trajectory`)."""

from __future__ import annotations

import pytest

import engine as dspy
from engine.core._errors import ContextWindowExceededError
from engine.lm.scripted import ScriptedLM


def test_the_observation_is_the_tools_value():
    def add(a: int, b: int) -> int:
        """Add two numbers."""
        return a + b

    lm = ScriptedLM([
        {"next_thought": "Add.", "next_tool_name": "add", "next_tool_args": '{"a": 1, "b": 2}'},
        {"next_thought": "Done.", "next_tool_name": "finish", "next_tool_args": "{}"},
        {"reasoning": "Summed.", "c": "3"},
    ])  # fmt: skip
    with dspy.context(lm=lm):
        out = dspy.ReAct("a, b -> c: int", tools=[add])(a=1, b=2)
    assert out.trajectory["observation_0"] == 3 and out.c == 3
    extract_prompt = lm.history[-1]["messages"][-1]["content"]
    assert "[[ ## observation_0 ## ]]\n3" in extract_prompt


def test_a_too_long_prompt_drops_the_oldest_step_for_good():
    react = dspy.ReAct("text -> answer", tools=[lambda text: f"Echoed: {text}"])
    calls = 0

    def fake_react(**kwargs):
        nonlocal calls
        calls += 1
        if calls == 3:
            raise ContextWindowExceededError()
        if calls > 3:
            return dspy.Prediction(next_thought="end", next_tool_name="finish", next_tool_args={})
        return dspy.Prediction(next_thought=f"t{calls}", next_tool_name="<lambda>",
                               next_tool_args={"text": str(calls)})  # fmt: skip

    react.react = fake_react
    react.extract = lambda **kwargs: dspy.Prediction(answer="done")
    result = react(text="x")
    assert "thought_0" not in result.trajectory and result.trajectory["thought_1"] == "t2"
    assert result.answer == "done"


def test_truncate_trajectory():
    react = dspy.ReAct("text -> answer", tools=[])
    two = {f"{k}_{i}": f"{k}{i}" for i in range(2)
           for k in ("thought", "tool_name", "tool_args", "observation")}  # fmt: skip
    assert list(react.truncate_trajectory(two)) == [
        "thought_1",
        "tool_name_1",
        "tool_args_1",
        "observation_1",
    ]
    with pytest.raises(ContextWindowExceededError, match="one tool call"):
        react.truncate_trajectory(two)


def test_three_truncations_that_do_not_help_raise_a_context_window_error():
    react = dspy.ReAct("text -> out", tools=[lambda text: text])
    trajectory = {}
    for i in range(4):
        trajectory.update({f"thought_{i}": "t", f"tool_name_{i}": "echo",
                           f"tool_args_{i}": {}, f"observation_{i}": "o"})  # fmt: skip
    calls = []

    def too_long(**kwargs):
        calls.append(kwargs["trajectory"])
        raise ContextWindowExceededError()

    with pytest.raises(ContextWindowExceededError, match="even after 3 attempts") as raised:
        react._call_with_potential_trajectory_truncation(too_long, trajectory, text="x")
    assert isinstance(raised.value.__cause__, ContextWindowExceededError)
    assert len(calls) == 3 and list(trajectory) == ["thought_3", "tool_name_3", "tool_args_3",
                                                    "observation_3"]  # fmt: skip
