"""Predict's call and state behaviours the yardstick reaches (issue 39, continued): DSPy's
message for positional arguments, the warning naming a saved LM's endpoint settings that are not
restored (on `dspy.predict.predict.logger`), `load_state(allow_unsafe_lm_state=)`, metrics that
forward **kwargs, `Example.toDict` with pydantic values and `EvaluationResult`'s repr."""

from __future__ import annotations

import json
import logging

import pytest

import engine as dspy
from engine.evaluate import answer_exact_match
from engine.lm.scripted import ScriptedLM
from engine.predict import predict as predict_path
from engine.utils import saving as saving_path


def test_positional_arguments_get_dspys_message():
    with pytest.raises(ValueError) as info:
        dspy.Predict("question, context -> answer")("What is 2+2?")
    assert str(info.value) == (
        "Positional arguments are not allowed when calling `dspy.Predict`, must use keyword "
        "arguments that match your signature input fields: 'question', 'context'. For example: "
        "`predict(question=input_value, ...)`."
    )


@pytest.mark.parametrize("key", ["api_base", "base_url", "model_list"])
def test_a_saved_endpoint_is_dropped_with_a_warning_naming_it(key, caplog):
    assert predict_path.logger is saving_path.logger  # DSPy's two paths, one logger
    state = dspy.Predict("q -> a").dump_state()
    state["lm"] = {"model": "openai/gpt-4o-mini", key: "http://override.local/v1"}
    with caplog.at_level(logging.WARNING, logger=predict_path.logger.name):
        loaded = dspy.Predict("q -> a").load_state(state)
    assert loaded.lm.model == "openai/gpt-4o-mini" and loaded.lm.api_base is None
    assert key not in loaded.lm.kwargs
    warned = [r for r in caplog.records if "not restored" in r.getMessage()]
    assert len(warned) == 1 and warned[0].args[0] == [key]


class StateLM(dspy.BaseLM):
    """A custom LM importable by its path."""

    def forward(self, prompt=None, messages=None, **kwargs):
        return {"choices": [{"message": {"content": "[[ ## a ## ]]\nok"}}]}


def test_load_state_takes_allow_unsafe_lm_state():
    saved = dspy.Predict("q -> a")
    saved.lm = StateLM("custom/state", temperature=0.3)
    state = saved.dump_state()
    kept = dspy.Predict("q -> a").load_state(state)  # refused: warns, keeps no LM
    assert kept.lm is None
    trusted = dspy.Predict("q -> a").load_state(state, allow_unsafe_lm_state=True)
    assert type(trusted.lm) is StateLM and trusted.lm.kwargs["temperature"] == 0.3
    assert trusted(q="x").a == "ok"


def test_a_metric_forwarding_kwargs_to_a_dspy_metric_scores():
    def tracking(example, prediction, **kwargs):
        return answer_exact_match(example, prediction, **kwargs)

    dspy.configure(lm=ScriptedLM([{"answer": "2"}], cycle=True))
    devset = [dspy.Example(question="1+1?", answer="2").with_inputs("question")] * 2
    result = dspy.Evaluate(devset=devset, metric=tracking, num_threads=1)(
        dspy.Predict("question -> answer")
    )
    assert result.score == 100.0 and result.errors == 0
    assert repr(result) == "EvaluationResult(score=100.0, results=<list of 2 results>)"


def test_to_dict_dumps_pydantic_values():
    history = dspy.History(messages=[{"question": "Q1", "answer": "A1"}])
    example = dspy.Example(question="Q2", history=history, past=[history], meta={"h": history})
    plain = example.toDict()
    assert plain["history"] == {"messages": [{"question": "Q1", "answer": "A1"}]}
    assert plain["past"] == [plain["history"]] and plain["meta"] == {"h": plain["history"]}
    json.dumps(plain)
    assert example.history is history  # the example itself is unchanged
