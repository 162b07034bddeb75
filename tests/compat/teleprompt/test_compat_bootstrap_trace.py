"""DSPy's `bootstrap_trace_data`: each example's prediction, trace and score."""

from __future__ import annotations

import pytest

import engine as dspy
from engine.lm import ScriptedLM
from engine.teleprompt.bootstrap_trace import FailedPrediction

DATA = [dspy.Example(question=q, answer=a).with_inputs("question")
        for q, a in [("2+2?", "4"), ("3+3?", "6"), ("5+5?", "10")]]  # fmt: skip


def _lm(replies: dict[str, str]) -> ScriptedLM:
    def answer(messages):
        text = messages[-1]["content"]
        key = next(q for q in replies if q in text)
        return replies[key]

    return ScriptedLM(by_input=answer)


def _reply(answer: str) -> str:
    return f"[[ ## answer ## ]]\n{answer}\n\n[[ ## completed ## ]]"


def exact(example, pred, trace=None):
    return example.answer == pred.answer


def test_predictions_traces_and_scores_per_example():
    program = dspy.Predict("question -> answer")
    lm = _lm({"2+2?": _reply("4"), "3+3?": _reply("7"), "5+5?": _reply("10")})
    with dspy.context(lm=lm):
        data = dspy.bootstrap_trace_data(program, DATA, metric=exact, num_threads=2)
    assert [d["example_ind"] for d in data] == [0, 1, 2]
    assert [d["score"] for d in data] == [True, False, True]
    assert [d["prediction"].answer for d in data] == ["4", "7", "10"]
    for entry in data:
        (predictor, inputs, prediction), = entry["trace"]
        assert predictor is program and inputs == {"question": entry["example"].question}
        assert prediction is entry["prediction"]


def test_no_metric_no_score():
    with dspy.context(lm=_lm({"2+2?": _reply("4")})):
        (entry,) = dspy.bootstrap_trace_data(dspy.Predict("question -> answer"), DATA[:1])
    assert set(entry) == {"example_ind", "example", "prediction", "trace"}


def test_unreadable_replies_raise_or_become_failed_predictions():
    program = dspy.Predict("question -> answer: int")
    lm = _lm({"2+2?": "no number at all", "3+3?": _reply("6"), "5+5?": _reply("10")})

    def same_number(example, pred, trace=None):
        return int(example.answer) == pred.answer

    with dspy.context(lm=lm, adapter=dspy.ChatAdapter(use_json_adapter_fallback=False)):
        with pytest.raises(dspy.AdapterParseError):
            dspy.bootstrap_trace_data(program, DATA, metric=same_number)
        data = dspy.bootstrap_trace_data(program, DATA, metric=same_number,
                                         capture_failed_parses=True, format_failure_score=-2)
    failed = data[0]["prediction"]
    assert isinstance(failed, FailedPrediction) and "no number" in failed.completion_text
    assert [d["score"] for d in data] == [-2, True, True]


def test_crashes_raise_or_are_captured_or_left_out():
    class Crashy(dspy.Module):
        def forward(self, question):
            if question == "3+3?":
                raise KeyError("boom")
            return dspy.Prediction(answer="4")

    with pytest.raises(KeyError):
        dspy.bootstrap_trace_data(Crashy(), DATA)
    captured = dspy.bootstrap_trace_data(Crashy(), DATA, metric=exact, capture_crashes=True,
                                         failure_score=0.25)  # fmt: skip
    assert "KeyError" in captured[1]["prediction"].completion_text
    assert captured[1]["score"] == 0.25
    kept = dspy.bootstrap_trace_data(Crashy(), DATA, raise_on_error=False)
    assert [d["example_ind"] for d in kept] == [0, 2]


def test_dspy_path():
    from engine.teleprompt import bootstrap_trace_data

    assert bootstrap_trace_data is dspy.bootstrap_trace_data
