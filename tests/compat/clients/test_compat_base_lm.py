"""`dspy.BaseLM` subclassed the DSPy 3.x way: `forward(prompt, messages, **kwargs)` returning an
OpenAI-shaped response; the same class body works on real dspy."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

import engine as dspy
from engine.core._errors import LMError

real_dspy = pytest.importorskip("dspy")

REPLY = "[[ ## answer ## ]]\nParis\n\n[[ ## completed ## ]]"


def make_lm_class(base: type) -> type:
    class EchoLM(base):
        def __init__(self, **kwargs):
            super().__init__(model="custom/echo", **kwargs)
            self.seen = []

        def forward(self, prompt=None, messages=None, **kwargs):
            self.seen.append((prompt, messages, kwargs))
            return {
                "choices": [{"message": {"content": REPLY}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 12, "completion_tokens": 4, "total_tokens": 16},
                "model": "custom/echo",
            }

    return EchoLM


def test_custom_lm_answers_a_predict_like_dspy():
    ours = make_lm_class(dspy.BaseLM)(temperature=0.3)
    with dspy.context(lm=ours):
        got = dspy.Predict("question -> answer")(question="Capital of France?")
    theirs = make_lm_class(real_dspy.BaseLM)(temperature=0.3)
    with real_dspy.context(lm=theirs):
        expected = real_dspy.Predict("question -> answer")(question="Capital of France?")
    assert got.answer == expected.answer == "Paris"
    _, messages, kwargs = ours.seen[0]
    assert messages[-1]["role"] == "user" and kwargs["temperature"] == 0.3


def test_usage_and_history_come_from_the_response():
    lm = make_lm_class(dspy.BaseLM)()
    assert lm("hello") == [REPLY]
    assert lm.ledger.totals().prompt_tokens == 12 and lm.ledger.totals().completion_tokens == 4
    assert lm.history[-1]["outputs"] == [REPLY]


def test_object_shaped_responses_and_text_completions():
    class ObjectLM(dspy.BaseLM):
        def forward(self, prompt=None, messages=None, **kwargs):
            choice = SimpleNamespace(message=None, text="plain")
            return SimpleNamespace(choices=[choice], usage=SimpleNamespace(prompt_tokens=1))

    assert ObjectLM("custom/object")(messages=[{"role": "user", "content": "hi"}]) == ["plain"]


def test_a_response_without_choices_is_a_clear_error():
    class BrokenLM(dspy.BaseLM):
        def forward(self, prompt=None, messages=None, **kwargs):
            return {"nothing": True}

    with pytest.raises(LMError, match="choices"):
        BrokenLM("custom/broken", num_retries=0)("hi")


def test_forward_must_be_implemented():
    with pytest.raises(LMError, match="forward"):
        dspy.BaseLM("custom/none", num_retries=0)("hi")


def test_calls_are_not_cached_by_the_engine():
    lm = make_lm_class(dspy.BaseLM)(cache=True)
    lm("same")
    lm("same")
    assert len(lm.seen) == 2


def test_base_lm_is_an_engine_lm():
    lm = make_lm_class(dspy.BaseLM)()
    assert isinstance(lm, dspy.LM) and lm.model == "custom/echo"
    assert lm.supports_function_calling is False and lm.supported_params == set()
