"""Tool introspection and calls; the ReAct loop on a scripted LM (trajectory, finish, max_iters,
errors as observations, lenient reading of bad steps, extract)."""

from __future__ import annotations

from typing import Literal

import pytest

import engine as dspy
from engine.adapters.types.tool import ToolError
from engine.lm import ScriptedLM

TABLE = {"ada": "born 1815", "alan": "born 1912"}


def lookup(name: str, limit: int = 3) -> str:
    """Look up a person in the table."""
    return TABLE.get(name.lower(), f"no row for {name}")[: 100 * limit]


def divide(a: float, b: float) -> float:
    """Divide a by b."""
    return a / b


def step(thought, tool, args):
    return {"next_thought": thought, "next_tool_name": tool, "next_tool_args": args}


def answer(text):
    return {"reasoning": "From the trajectory.", "answer": text}


# Tool --------------------------------------------------------------------------------------


def test_tool_reads_name_hints_docstring_and_defaults():
    tool = dspy.Tool(lookup)
    assert tool.name == "lookup" and tool.desc == "Look up a person in the table."
    assert tool.args == {"name": {"type": "string"}, "limit": {"type": "integer", "default": 3}}
    assert tool.arg_types == {"name": str, "limit": int} and tool.required == ["name"]
    assert str(tool) == (
        "lookup, whose description is <desc>Look up a person in the table.</desc>. It takes "
        "arguments {'name': {'type': 'string'}, 'limit': {'type': 'integer', 'default': 3}}."
    )


def test_tool_overrides_and_structured_hints():
    def pick(mode: Literal["a", "b"], tags: list[str] | None = None) -> str:
        return mode

    tool = dspy.Tool(pick, name="chooser", desc="Pick a mode.")
    assert tool.name == "chooser" and tool.desc == "Pick a mode."
    assert tool.args["mode"] == {"enum": ["a", "b"], "type": "string"}
    assert tool.args["tags"]["default"] is None
    assert tool(mode="b") == "b"


def test_tool_casts_arguments_from_hints():
    assert dspy.Tool(lookup)(name="Ada", limit="1") == "born 1815"
    assert dspy.Tool(divide)(a="3", b=2) == 1.5


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({}, "Execution error in lookup: missing required argument(s) ['name']"),
        ({"nme": "Ada"}, "unknown argument(s) ['nme']; lookup takes name, limit"),
        ({"name": "Ada", "limit": "lots"}, "argument 'limit' = 'lots': Input should be a valid"),
    ],
)
def test_bad_arguments_give_an_error_object(kwargs, message):
    result = dspy.Tool(lookup)(**kwargs)
    assert isinstance(result, ToolError) and result.kind == "arguments"
    assert message in str(result)


def test_a_raising_tool_gives_an_error_object():
    result = dspy.Tool(divide)(a=1, b=0)
    assert isinstance(result, ToolError) and result.kind == "raised"
    assert str(result) == "Execution error in divide: ZeroDivisionError: float division by zero"


def test_tool_rejects_non_callables():
    with pytest.raises(TypeError, match="Tool needs a callable"):
        dspy.Tool("lookup")  # type: ignore[arg-type]


# ReAct -------------------------------------------------------------------------------------


def test_react_signatures_and_predictor_names_match_dspy():
    agent = dspy.ReAct("question -> answer", tools=[lookup])
    assert [n for n, _ in agent.named_predictors()] == ["react", "extract.predict"]
    react = agent.react.signature
    assert list(react.input_fields) == ["question", "trajectory"]
    assert list(react.output_fields) == ["next_thought", "next_tool_name", "next_tool_args"]
    assert react.output_fields["next_tool_name"].type_name == "Literal['lookup', 'finish']"
    extract = agent.extract.predict.signature
    assert list(extract.fields) == ["question", "trajectory", "reasoning", "answer"]
    assert "(2) finish, whose description is <desc>Marks the task" in react.instructions


def test_react_calls_the_tool_then_finishes_and_extracts():
    lm = ScriptedLM(
        answers=[
            step("Look Ada up.", "lookup", {"name": "Ada"}),
            step("I know it.", "finish", {}),
            answer("1815"),
        ]
    )
    with dspy.context(lm=lm):
        pred = dspy.ReAct("question -> answer", tools=[lookup])(question="When was Ada born?")
    assert pred.answer == "1815" and pred.reasoning == "From the trajectory."
    assert pred.trajectory == {
        "thought_0": "Look Ada up.",
        "tool_name_0": "lookup",
        "tool_args_0": {"name": "Ada"},
        "observation_0": "born 1815",
        "thought_1": "I know it.",
        "tool_name_1": "finish",
        "tool_args_1": {},
        "observation_1": "Completed.",
    }
    assert pred.get_lm_usage()["calls"] == 3
    extract_prompt = lm.history[-1]["messages"][-1]["content"]
    assert "[[ ## observation_0 ## ]]\nborn 1815" in extract_prompt


def test_errors_become_observations_and_the_loop_goes_on():
    lm = ScriptedLM(
        answers=[
            step("Divide.", "divide", {"a": 1, "b": 0}),
            step("Bad args.", "lookup", {"who": "Ada"}),
            step("Again.", "lookup", {"name": "Ada"}),
            step("Done.", "finish", {}),
            answer("1815"),
        ]
    )
    with dspy.context(lm=lm):
        pred = dspy.ReAct("question -> answer", tools=[lookup, divide])(question="q")
    t = pred.trajectory
    assert (
        t["observation_0"] == "Execution error in divide: ZeroDivisionError: float division by zero"
    )
    assert t["observation_1"].startswith("Execution error in lookup: unknown argument(s) ['who']")
    assert t["observation_2"] == "born 1815" and t["tool_name_3"] == "finish"
    assert "Execution error in divide" in lm.history[1]["messages"][-1]["content"]


def test_max_iters_ends_the_loop_and_extract_still_answers():
    lm = ScriptedLM(
        answers=[step("again", "lookup", {"name": "Ada"})] * 2 + [answer("1815")],
    )
    with dspy.context(lm=lm):
        pred = dspy.ReAct("question -> answer", tools=[lookup], max_iters=2)(question="q")
    assert [k for k in pred.trajectory if k.startswith("tool_name")] == [
        "tool_name_0",
        "tool_name_1",
    ]
    assert pred.answer == "1815" and lm.calls_made == 3


def test_max_iters_can_be_given_per_call():
    lm = ScriptedLM(answers=[step("go", "lookup", {"name": "Ada"}), answer("x")])
    with dspy.context(lm=lm):
        pred = dspy.ReAct("question -> answer", tools=[lookup])(question="q", max_iters=1)
    assert len(pred.trajectory) == 4


@pytest.mark.parametrize(
    "name, args, expected_args",
    [
        ('lookup(name="Ada")', "", {"name": "Ada"}),
        ("`Lookup`", "Ada", {"name": "Ada"}),
        ("lookup", "name: Ada", {"name": "Ada"}),
        ("lookup", "{'name': 'Ada', 'limit': 2}", {"name": "Ada", "limit": 2}),
        ("lookup", "name='Ada', limit=2", {"name": "Ada", "limit": 2}),
    ],
)
def test_sloppy_steps_are_read_leniently(name, args, expected_args):
    reply = (
        f"[[ ## next_thought ## ]]\nFind Ada.\n\n[[ ## next_tool_name ## ]]\n{name}\n\n"
        f"[[ ## next_tool_args ## ]]\n{args}\n\n[[ ## completed ## ]]"
    )
    lm = ScriptedLM(answers=[reply, step("ok", "finish", {}), answer("1815")])
    with dspy.context(lm=lm, adapter=dspy.ChatAdapter(use_json_fallback=False)):
        pred = dspy.ReAct("question -> answer", tools=[lookup])(question="q")
    assert pred.trajectory["tool_name_0"] == "lookup"
    assert pred.trajectory["tool_args_0"] == expected_args
    assert pred.trajectory["observation_0"] == "born 1815"


def test_an_unreadable_step_ends_the_loop_and_extract_answers():
    lm = ScriptedLM(answers=["I think the answer is 1815.", answer("1815")])
    with dspy.context(lm=lm, adapter=dspy.ChatAdapter(use_json_fallback=False)):
        pred = dspy.ReAct("question -> answer", tools=[lookup])(question="q")
    assert pred.answer == "1815"
    observation = pred.trajectory["observation_0"]
    assert observation.startswith("could not read the step (could not read a tool name")
    assert observation.endswith("ending the trajectory")
    assert lm.calls_made == 2


def test_an_unknown_tool_name_ends_the_loop_without_a_crash():
    lm = ScriptedLM(answers=[step("hmm", "search_web", {"q": "Ada"}), answer("?")])
    with dspy.context(lm=lm, adapter=dspy.ChatAdapter(use_json_fallback=False)):
        pred = dspy.ReAct("question -> answer", tools=[lookup])(question="q")
    assert pred.trajectory["tool_name_0"] == "search_web"
    assert "tools: ['lookup', 'finish']" in pred.trajectory["observation_0"]
    assert pred.answer == "?"


def test_typed_outputs_come_from_extract():
    class Age(dspy.Signature):
        """Answer with a number."""

        question: str = dspy.InputField()
        year: int = dspy.OutputField()

    lm = ScriptedLM(
        answers=[step("done", "finish", {}), {"reasoning": "r", "year": "1815"}],
    )
    with dspy.context(lm=lm):
        pred = dspy.ReAct(Age, tools=[lookup])(question="q")
    assert pred.year == 1815
    assert dspy.ReAct(Age, tools=[lookup]).react.signature.instructions.startswith(
        "Answer with a number.\n\nYou are an Agent."
    )


def test_bad_react_arguments_are_clear():
    with pytest.raises(ValueError, match="'finish' is the built-in tool"):

        def finish() -> str:
            return "x"

        dspy.ReAct("q -> a", tools=[finish])
    with pytest.raises(ValueError, match="two tools are named 'lookup'"):
        dspy.ReAct("q -> a", tools=[lookup, lookup])
    with pytest.raises(ValueError, match="max_iters must be a whole number"):
        dspy.ReAct("q -> a", tools=[lookup], max_iters=0)
    with pytest.raises(TypeError, match="tools must be a list"):
        dspy.ReAct("q -> a", tools=lookup)  # type: ignore[arg-type]


def test_react_state_round_trips_in_the_engine(tmp_path):
    agent = dspy.ReAct("question -> answer", tools=[lookup])
    agent.react.demos = [
        dspy.Example(question="q", trajectory="", next_thought="t", next_tool_name="finish")
    ]
    agent.extract.predict.signature = agent.extract.predict.signature.with_instructions("New.")
    agent.save(tmp_path / "agent.json")
    again = dspy.ReAct("question -> answer", tools=[lookup]).load(tmp_path / "agent.json")
    assert again.extract.predict.signature.instructions == "New."
    assert [dict(d.items()) for d in again.react.demos] == [
        dict(d.items()) for d in agent.react.demos
    ]
