"""`dspy.streamify`: status messages while the program runs, then the final Prediction (token
streaming is not supported: listeners hear nothing)."""

from __future__ import annotations

import asyncio

import pytest

import engine as dspy
from engine.lm import ScriptedLM
from engine.streaming import StatusMessage, StatusMessageProvider, streaming_response


class Messages(StatusMessageProvider):
    def module_start_status_message(self, instance, inputs):
        return f"start {type(instance).__name__}"

    def lm_end_status_message(self, outputs):
        return "lm done"


class Pipeline(dspy.Module):
    def __init__(self):
        super().__init__()
        self.answer = dspy.Predict("question -> answer")

    def forward(self, question):
        return self.answer(question=question)


def collect(stream) -> list:
    async def run():
        return [item async for item in stream]

    return asyncio.run(run())


def lm() -> ScriptedLM:
    return ScriptedLM(answers=[{"answer": "4"}], cycle=True)


def test_status_messages_then_the_prediction():
    dspy.configure(lm=lm())
    items = collect(dspy.streamify(Pipeline(), status_message_provider=Messages())(question="q"))
    assert [i.message for i in items[:-1]] == ["start Pipeline", "start Predict", "lm done"]
    assert all(isinstance(i, StatusMessage) for i in items[:-1])
    assert isinstance(items[-1], dspy.Prediction) and items[-1].answer == "4"


def test_default_provider_sends_tool_messages_only():
    dspy.configure(lm=lm())
    items = collect(dspy.streamify(Pipeline())(question="q"))
    assert len(items) == 1 and items[0].answer == "4"


def test_sync_streaming_and_async_programs():
    dspy.configure(lm=lm())
    items = list(dspy.streamify(Pipeline(), Messages(), async_streaming=False)(question="q"))
    assert items[-1].answer == "4" and len(items) == 4
    items = collect(dspy.streamify(Pipeline(), Messages(), is_async_program=True)(question="q"))
    assert items[-1].answer == "4" and len(items) == 4


def test_the_programs_error_reaches_the_consumer():
    class Fails(dspy.Module):
        def forward(self, question):
            raise KeyError("boom")

    with pytest.raises(KeyError):
        collect(dspy.streamify(Fails())(question="q"))
    with pytest.raises(KeyError):
        list(dspy.streamify(Fails(), async_streaming=False)(question="q"))


def test_listeners_are_accepted_and_hear_nothing():
    from engine.streaming import StreamListener

    dspy.configure(lm=lm())
    stream = dspy.streamify(Pipeline(), stream_listeners=[StreamListener("answer")])
    items = collect(stream(question="q"))
    assert len(items) == 1 and items[0].answer == "4"


def test_streaming_response_as_server_sent_events():
    dspy.configure(lm=lm())
    events = collect(streaming_response(dspy.streamify(Pipeline(), Messages())(question="q")))
    assert events[0] == 'data: {"status": "start Pipeline"}\n\n'
    assert events[-2] == 'data: {"prediction": {"answer": "4"}}\n\n'
    assert events[-1] == "data: [DONE]\n\n"


def test_a_react_agent_streams_its_tool_messages():
    def lookup(name: str) -> str:
        """Look a person up."""
        return "born 1815"

    def step(tool, args):
        return {"next_thought": "t", "next_tool_name": tool, "next_tool_args": args}

    dspy.configure(lm=ScriptedLM(answers=[
        step("lookup", {"name": "Ada"}), step("finish", {}),
        {"reasoning": "r", "answer": "1815"},
    ]))  # fmt: skip
    agent = dspy.ReAct("question -> answer", tools=[lookup])
    items = collect(dspy.streamify(agent)(question="When was Ada born?"))
    assert [i.message for i in items[:-1]] == [
        "Calling tool lookup...",
        "Tool calling finished! Querying the LLM with tool calling results...",
    ]  # the finish tool sends nothing, as DSPy
    assert items[-1].answer == "1815"
