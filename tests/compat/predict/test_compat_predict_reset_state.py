"""`Predict.reset()` as DSPy's (the predictor's LM, traces, train rows and demos go), while
`reset_copy()` keeps each predictor's own LM; demos are saved JSON-ready; JSON replies written
as Python dicts are read; declared constraints are shown to the LM."""

from __future__ import annotations

import json

import pydantic

import engine as dspy
from engine.lm import ScriptedLM


def test_reset_forgets_lm_traces_train_and_demos_but_reset_copy_keeps_the_lm():
    lm = ScriptedLM(["x"])
    predict = dspy.Predict("question -> answer")
    predict.lm, predict.demos = lm, [dspy.Example(question="q", answer="a")]
    copy = dspy.ChainOfThought("question -> answer")
    copy.predict.lm, copy.predict.demos = lm, list(predict.demos)
    fresh = copy.reset_copy()
    assert fresh.predict.lm is lm and fresh.predict.demos == []
    predict.traces, predict.train = ["t"], ["r"]
    predict.reset()
    assert (predict.lm, predict.traces, predict.train, predict.demos) == (None, [], [], [])


class Item(pydantic.BaseModel):
    name: str
    quantity: int


def test_dump_state_holds_demos_as_json_ready_values():
    predict = dspy.Predict("items: list[Item] -> total: int")
    predict.demos = [dspy.Example(items=[Item(name="apple", quantity=5)], total=5)]
    state = predict.dump_state()
    assert state["demos"][0]["items"] == [{"name": "apple", "quantity": 5}]
    json.dumps(state)  # nothing left that JSON cannot hold
    loaded = dspy.Predict("items: list[Item] -> total: int").load_state(state)
    assert loaded.demos[0]["items"][0]["name"] == "apple"


def test_json_adapter_reads_a_python_dict_reply_and_constraints_reach_the_prompt():
    class Scored(dspy.Signature):
        """Score the text."""

        text: str = dspy.InputField(min_length=5)
        score: float = dspy.OutputField(ge=0.0, le=1.0)
        count: int = dspy.OutputField(multiple_of=2)

    lm = ScriptedLM(["{'score': '0.5', 'count': '2'}"])
    with dspy.context(lm=lm, adapter=dspy.JSONAdapter()):
        pred = dspy.Predict(Scored)(text="hello world")
    assert (pred.score, pred.count) == (0.5, 2)
    system = lm.history[0]["messages"][0]["content"]
    assert "Constraints: minimum length: 5" in system
    assert "greater than or equal to: 0.0, less than or equal to: 1.0" in system
    assert "a multiple of the given number: 2" in system


def test_loaded_demos_equal_the_dicts_they_were_saved_from():
    original = dspy.Predict("question -> answer")
    original.demos = [{"question": "test", "answer": "response"}]
    loaded = dspy.Predict("question -> answer").load_state(original.dump_state())
    assert loaded.demos == original.demos
    assert loaded.demos[0] != {"question": "test"}  # all fields must match
    assert dspy.Example(a=1) != dspy.Example(a=2) and dspy.Example(a=1) == dspy.Example(a=1)
