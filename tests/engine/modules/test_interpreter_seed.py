"""`PythonInterpreter` (DSPy's name, on the sandbox) and seed 001's ReAct agent with a math tool
and a search tool, the remote ColBERT server replaced by BM25 over a local corpus."""

from __future__ import annotations

import pytest

import engine as dspy
from engine.lm import ScriptedLM
from engine.retrievers.bm25 import BM25

CORPUS = [
    "David Gregory of Kinnairdy castle was a Scottish physician and inventor, born in 1625.",
    "Kinnairdy Castle is a tower house in Aberdeenshire, Scotland.",
    "The Gregory family produced several mathematicians and astronomers.",
]


def test_execute_returns_the_last_expression_printed_output_or_none():
    interpreter = dspy.PythonInterpreter({})  # the seed's call shape
    assert interpreter.execute("9362158 / 1625") == pytest.approx(5761.328, abs=1e-3)
    assert interpreter.execute("x * 2", variables={"x": 21}) == 42
    assert interpreter.execute("print('hi')") == "hi\n"
    assert interpreter.execute("y = 1") is None


def test_failures_raise_with_the_sandbox_message():
    with dspy.PythonInterpreter() as interpreter:
        with pytest.raises(dspy.CodeInterpreterError, match="reading outside the sandbox"):
            interpreter.execute("open('/etc/passwd').read()")
        with pytest.raises(dspy.CodeInterpreterError, match="ZeroDivisionError"):
            interpreter.execute("1 / 0")


def test_access_beyond_the_sandbox_is_refused_up_front():
    with pytest.raises(ValueError, match="enable_network_access not supported"):
        dspy.PythonInterpreter(enable_network_access=["example.com"])
    with pytest.raises(ValueError, match="not a Python identifier"):
        dspy.PythonInterpreter().execute("1", variables={"a b": 1})


def test_seed_001_react_with_math_and_search_tools():
    def evaluate_math(expression: str):
        return dspy.PythonInterpreter({}).execute(expression)

    search_index = BM25(CORPUS)

    def search_wikipedia(query: str):
        return [passage.text for passage in search_index(query, k=3)]

    lm = ScriptedLM(
        answers=[
            {
                "next_thought": "Find the birth year.",
                "next_tool_name": "search_wikipedia",
                "next_tool_args": {"query": "David Gregory Kinnairdy castle born"},
            },
            {
                "next_thought": "Born 1625; divide.",
                "next_tool_name": "evaluate_math",
                "next_tool_args": {"expression": "9362158 / 1625"},
            },
            {"next_thought": "Done.", "next_tool_name": "finish", "next_tool_args": {}},
            {"reasoning": "9362158 / 1625 = 5761.328", "answer": "5761.328"},
        ]
    )
    dspy.configure(lm=lm)
    react = dspy.ReAct("question -> answer: float", tools=[evaluate_math, search_wikipedia])
    pred = react(
        question="What is 9362158 divided by the year of birth of David Gregory of Kinnairdy "
        "castle?"
    )
    assert pred.answer == pytest.approx(5761.328)
    assert "born in 1625" in str(pred.trajectory["observation_0"])
    assert str(pred.trajectory["observation_1"]).startswith("5761.32")
