"""A `dspy.History` input becomes earlier user/assistant turns, as DSPy's chat adapter lays
them out: after the demos, before the current inputs, the field left out of the prompt."""

import dspy as real_dspy
import pytest
from dspy.utils import DummyLM
from pydantic import ValidationError

import engine as dspy
from engine.lm import ScriptedLM

TURNS = [
    {"question": "Capital of France?", "answer": "Paris"},
    {"question": "And of Italy?", "answer": "Rome"},
]


def sent(lib, history, demos=()):
    """The messages one call sends, and its prediction."""

    class QA(lib.Signature):
        question: str = lib.InputField()
        history: lib.History = lib.InputField()
        answer: str = lib.OutputField()

    predict = lib.Predict(QA)
    predict.demos = [lib.Example(question="2+2?", answer="4")] + list(demos)
    if lib is dspy:
        lm = ScriptedLM(answers=[{"answer": "Berlin"}])
        pred = predict(question="And Germany?", history=history, lm=lm)
    else:
        lm = DummyLM([{"answer": "Berlin"}])
        with real_dspy.context(lm=lm, adapter=real_dspy.ChatAdapter()):
            pred = predict(question="And Germany?", history=history)
    return lm.history[-1]["messages"], pred


@pytest.mark.parametrize("lib", [dspy, real_dspy], ids=["engine", "dspy"])
def test_history_turns_layout(lib):
    messages, pred = sent(lib, lib.History(messages=TURNS))
    assert pred.answer == "Berlin"
    assert [m["role"] for m in messages] == [
        "system", "user", "assistant", "user", "assistant", "user", "assistant", "user",
    ]  # fmt: skip
    assert "`history` (History)" in messages[0]["content"]  # listed, as DSPy does
    assert "[[ ## question ## ]]\n2+2?" in messages[1]["content"]  # demos first
    assert "[[ ## question ## ]]\nCapital of France?" in messages[3]["content"]
    assert "[[ ## answer ## ]]\nParis" in messages[4]["content"]
    assert "[[ ## answer ## ]]\nRome" in messages[6]["content"]
    assert "And Germany?" in messages[7]["content"]
    assert all("[[ ## history ## ]]" not in str(m["content"]) for m in messages[1:])


@pytest.mark.parametrize("lib", [dspy, real_dspy], ids=["engine", "dspy"])
def test_empty_history(lib):
    messages, _ = sent(lib, lib.History(messages=[]))
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]


@pytest.mark.parametrize("lib", [dspy, real_dspy], ids=["engine", "dspy"])
def test_history_is_frozen_and_strict(lib):
    history = lib.History(messages=TURNS)
    with pytest.raises(ValidationError, match="Instance is frozen"):
        history.messages = []
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        lib.History(messages=TURNS, extra=1)


def test_history_with_the_json_adapter():
    class QA(dspy.Signature):
        question: str = dspy.InputField()
        history: dspy.History = dspy.InputField()
        answer: str = dspy.OutputField()

    lm = ScriptedLM(answers=['{"answer": "Berlin"}'])
    with dspy.context(adapter=dspy.JSONAdapter()):
        pred = dspy.Predict(QA)(
            question="And Germany?", history=dspy.History(messages=TURNS), lm=lm
        )
    messages = lm.history[-1]["messages"]
    assert pred.answer == "Berlin"
    assert [m["role"] for m in messages] == [
        "system",
        "user",
        "assistant",
        "user",
        "assistant",
        "user",
    ]
    assert '"answer": "Paris"' in messages[2]["content"]


def test_wrong_history_value_is_a_clear_error():
    with pytest.raises(TypeError, match="History"):
        sent(dspy, ["not", "a", "history"])
