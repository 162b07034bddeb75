"""Native tool calling and native reasoning in the chat and JSON adapters (DSPy's
`use_native_function_calling`, `dspy.Reasoning`), through the real LM machinery with a custom
`BaseLM` that answers like a provider: tool calls and reasoning beside the message's text."""

from __future__ import annotations

import litellm
import pytest
from litellm.utils import ChatCompletionMessageToolCall, Choices, Function, Message, ModelResponse

import engine as dspy
from engine.core._native_reply import NativeReply
from engine.lm.cache import CacheEntry


def search(query: str, k: int = 3) -> str:
    """Search for documents."""
    return query


class ProviderLM(dspy.BaseLM):
    """Answers each call with the next scripted chat message; records what it was sent."""

    def __init__(self, replies, *, calls=True, reasoning=True, **kwargs):
        super().__init__("provider/test", **kwargs)
        self.replies, self.sent = list(replies), []
        self.calls, self.reasons = calls, reasoning

    @property
    def supports_function_calling(self):
        return self.calls

    @property
    def supports_reasoning(self):
        return self.reasons

    def forward(self, prompt=None, messages=None, **kwargs):
        self.sent.append({"messages": messages, "kwargs": kwargs})
        return {"choices": [{"message": self.replies.pop(0)}], "usage": {}}


class Agent(dspy.Signature):
    """Answer with tools."""

    question: str = dspy.InputField()
    tools: list[dspy.Tool] = dspy.InputField()
    next_thought: dspy.Reasoning = dspy.OutputField()
    tool_calls: dspy.ToolCalls = dspy.OutputField()


CALL = {"id": "call_1", "type": "function",
        "function": {"name": "search", "arguments": '{"query": "cats",}'}}  # fmt: skip


@pytest.mark.parametrize("adapter", [dspy.ChatAdapter, dspy.JSONAdapter])
def test_tools_go_natively_and_the_providers_calls_and_reasoning_come_back(adapter):
    lm = ProviderLM([{"content": None, "tool_calls": [CALL], "reasoning_content": "Look it up."}])
    with dspy.context(lm=lm, adapter=adapter(use_native_function_calling=True)):
        pred = dspy.Predict(Agent)(question="cats?", tools=[dspy.Tool(search)])
    assert pred.tool_calls == dspy.ToolCalls(
        tool_calls=[dspy.ToolCalls.ToolCall(id="call_1", name="search", args={"query": "cats"})]
    )
    assert pred.next_thought == "Look it up." and isinstance(pred.next_thought, dspy.Reasoning)
    sent = lm.sent[0]
    assert sent["kwargs"]["tools"] == [dspy.Tool(search).format_as_litellm_function_call()]
    assert sent["kwargs"]["reasoning_effort"] == "low"
    prompt = "\n".join(m["content"] for m in sent["messages"])
    assert "tool_calls" not in prompt and "next_thought" not in prompt  # native: not asked for
    assert len(lm.sent) == 1  # a tool-call-only reply is an answer, not an empty reply


def test_the_schema_marks_arguments_with_defaults_optional():
    schema = dspy.Tool(search).format_as_litellm_function_call()
    assert schema["function"]["name"] == "search"
    assert schema["function"]["description"] == "Search for documents."
    assert schema["function"]["parameters"]["required"] == ["query"]


def test_parallel_tool_calls_asks_for_tool_choice_auto_unless_the_call_says_otherwise():
    adapter = dspy.ChatAdapter(use_native_function_calling=True, parallel_tool_calls=True)
    lm = ProviderLM([{"content": None, "tool_calls": [CALL]}] * 2, reasoning=False)
    with dspy.context(lm=lm, adapter=adapter):
        dspy.Predict(Agent)(question="q", tools=[dspy.Tool(search)])
        dspy.Predict(Agent, parallel_tool_calls=False)(question="q", tools=[dspy.Tool(search)])
    assert [s["kwargs"]["parallel_tool_calls"] for s in lm.sent] == [True, False]
    assert all(s["kwargs"]["tool_choice"] == "auto" for s in lm.sent)


def test_without_native_calling_tool_kwargs_are_dropped_and_calls_are_a_field():
    reply = '[[ ## next_thought ## ]]\nSearch.\n\n[[ ## tool_calls ## ]]\n' \
        '{"tool_calls": [{"name": "search", "args": {"query": "dogs"}}]}\n\n[[ ## completed ## ]]'
    lm = ProviderLM([{"content": reply}], calls=False, reasoning=False)
    with dspy.context(lm=lm, adapter=dspy.ChatAdapter()):
        pred = dspy.Predict(Agent, tools=[{"type": "function"}], tool_choice="auto")(
            question="dogs?", tools=[dspy.Tool(search)]
        )
    assert pred.tool_calls.tool_calls[0].args == {"query": "dogs"}
    assert pred.next_thought == "Search."
    assert "tools" not in lm.sent[0]["kwargs"] and "tool_choice" not in lm.sent[0]["kwargs"]


def test_reasoning_effort_none_keeps_reasoning_a_written_field():
    reply = (
        "[[ ## reasoning ## ]]\nStep by step.\n\n[[ ## answer ## ]]\nParis\n\n"
        "[[ ## completed ## ]]"
    )
    lm = ProviderLM([{"content": reply}])
    with dspy.context(lm=lm):
        pred = dspy.Predict("question -> reasoning: dspy.Reasoning, answer",
                            reasoning_effort=None)(question="q")  # fmt: skip
    assert pred.reasoning == dspy.Reasoning(content="Step by step.") and pred.answer == "Paris"
    assert "reasoning_effort" not in lm.sent[0]["kwargs"]


def test_postprocess_reads_dspy_shaped_outputs_and_needs_tools_for_a_calls_output():
    adapter = dspy.ChatAdapter(use_native_function_calling=True)
    sig = dspy.Signature("question, tools: list[dspy.Tool] -> answer, tool_calls: dspy.ToolCalls")
    out = adapter._call_postprocess(sig.delete("tools").delete("tool_calls"), sig,
                                    [{"text": None, "tool_calls": [CALL]}], None, {})  # fmt: skip
    assert out[0]["answer"] is None and out[0]["tool_calls"].tool_calls[0].id == "call_1"
    no_tools = dspy.Signature("question -> tool_calls: dspy.ToolCalls")
    with pytest.raises(ValueError, match="list\\[dspy.Tool\\]"):
        adapter._call_preprocess(ProviderLM([]), {}, no_tools, {"question": "q"})


def test_code_and_reasoning_types_read_as_their_text():
    python = dspy.Code["python"]
    reply = "[[ ## code ## ]]\n```python\nprint(1)\n```\n\n[[ ## completed ## ]]"
    lm = ProviderLM([{"content": reply}])
    fields = {"task": (str, dspy.InputField()), "code": (python, dspy.OutputField())}
    with dspy.context(lm=lm):
        pred = dspy.Predict(dspy.Signature(fields))(task="t")
    assert pred.code.code == "print(1)" and python.language == "python"
    assert "in the `python` language" in lm.sent[0]["messages"][0]["content"]
    thought = dspy.Reasoning("think")
    assert thought == "think" and thought.upper() == "THINK" and str(thought) == "think"
    with pytest.raises(TypeError, match="language name"):
        dspy.Code[3]


def test_a_cached_reply_keeps_its_tool_calls_and_reasoning():
    reply = NativeReply(None, [CALL], "why")
    saved = CacheEntry(("plain", reply), extras=({}, reply.extras())).to_json()
    entry = CacheEntry.from_json(saved)
    plain, back = entry.replies()
    assert type(plain) is str and plain == "plain"
    assert back == "" and back.tool_calls == [CALL] and back.reasoning_content == "why"


def test_a_hosted_lm_sends_tools_and_reads_the_providers_tool_calls(monkeypatch):
    sent = {}

    def completion(**kwargs):
        sent.update(kwargs)
        call = ChatCompletionMessageToolCall(
            id="call_9", type="function",
            function=Function(name="search", arguments='{"query": "owls"}'),
        )  # fmt: skip
        return ModelResponse(choices=[Choices(message=Message(content=None, tool_calls=[call]))])

    monkeypatch.setattr(litellm, "completion", completion)
    lm = dspy.LM("openai/gpt-4o-mini", cache=False)
    assert lm.supports_function_calling and not dspy.LM("local/any").supports_function_calling
    sig = dspy.Signature("question, tools: list[dspy.Tool] -> tool_calls: dspy.ToolCalls")
    with dspy.context(lm=lm, adapter=dspy.JSONAdapter()):  # native calling is its default
        pred = dspy.Predict(sig)(question="owls?", tools=[dspy.Tool(search)])
    assert pred.tool_calls.tool_calls[0].id == "call_9"
    assert pred.tool_calls.tool_calls[0].args == {"query": "owls"}
    assert sent["tools"][0]["function"]["name"] == "search"
    assert len(lm.history) == 1  # the tool-call-only reply was not retried as empty
