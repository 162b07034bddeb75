"""`dspy.track_usage()`, `UsageTracker` and `Prediction.get_lm_usage()` with track_usage on."""

from __future__ import annotations

import pytest

import engine as dspy
from engine.lm import ScriptedLM
from engine.lm.usage import UsageTracker

real_dspy = pytest.importorskip("dspy")

ENTRIES = [
    ("openai/gpt-4o-mini", {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15,
                            "prompt_tokens_details": {"cached_tokens": 2}, "is_byok": True}),
    ("openai/gpt-4o-mini", {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2,
                            "prompt_tokens_details": {"cached_tokens": 1}, "is_byok": True}),
    ("anthropic/claude", {"prompt_tokens": 3, "completion_tokens": None}),
    ("anthropic/claude", {}),
]  # fmt: skip


def test_tracker_totals_match_dspy_on_the_same_entries():
    from dspy.utils.usage_tracker import UsageTracker as DSPyTracker

    ours, theirs = UsageTracker(), DSPyTracker()
    for lm, entry in ENTRIES:
        ours.add_usage(lm, dict(entry))
        theirs.add_usage(lm, dict(entry))
    assert ours.get_total_tokens() == theirs.get_total_tokens()
    assert dict(ours.usage_data) == dict(theirs.usage_data)


def qa_lm() -> ScriptedLM:
    return ScriptedLM(answers=[{"answer": "42"}], cycle=True)


def test_track_usage_collects_every_uncached_call_and_nests():
    lm = qa_lm()
    predict = dspy.Predict("question -> answer")
    with dspy.context(lm=lm), dspy.track_usage() as outer:
        predict(question="a")
        with dspy.track_usage() as inner:
            predict(question="b")
    assert len(inner.usage_data["scripted/default"]) == 1
    assert len(outer.usage_data["scripted/default"]) == 2  # the inner one rolled up
    total = outer.get_total_tokens()["scripted/default"]
    ledger = lm.ledger.totals()
    assert total["prompt_tokens"] == ledger.prompt_tokens
    assert total["total_tokens"] == ledger.prompt_tokens + ledger.completion_tokens


def test_cache_hits_are_not_tracked():
    lm = ScriptedLM(answers=[{"answer": "42"}], cycle=True, cache=True)
    predict = dspy.Predict("question -> answer")
    with dspy.context(lm=lm), dspy.track_usage() as tracker:
        predict(question="same")
        predict(question="same")
    assert len(tracker.usage_data["scripted/default"]) == 1


class TwoSteps(dspy.Module):
    def __init__(self):
        super().__init__()
        self.first = dspy.Predict("question -> answer")
        self.second = dspy.Predict("question -> answer")

    def forward(self, question):
        self.first(question=question)
        return self.second(question=question)


def test_get_lm_usage_with_track_usage_on_sums_the_whole_program():
    lm = qa_lm()
    with dspy.context(lm=lm, track_usage=True):
        pred = TwoSteps()(question="q")
    usage = pred.get_lm_usage()
    assert list(usage) == ["scripted/default"]
    assert usage["scripted/default"]["prompt_tokens"] == lm.ledger.totals().prompt_tokens


def test_get_lm_usage_shape_matches_dspy():
    from dspy.utils.dummies import DummyLM

    class DSPyTwoSteps(real_dspy.Module):
        def __init__(self):
            super().__init__()
            self.first = real_dspy.Predict("question -> answer")

        def forward(self, question):
            return self.first(question=question)

    with real_dspy.context(lm=DummyLM([{"answer": "42"}]), track_usage=True):
        theirs = DSPyTwoSteps()(question="q").get_lm_usage()
    with dspy.context(lm=qa_lm(), track_usage=True):
        ours = dspy.Predict("question -> answer")(question="q").get_lm_usage()
    assert isinstance(theirs, dict) and isinstance(ours, dict)
    assert all(isinstance(v, dict) for v in ours.values())  # {model name: usage}
    assert {"prompt_tokens", "completion_tokens", "total_tokens"} <= set(
        next(iter(ours.values()))
    )


def test_without_track_usage_each_prediction_keeps_the_engine_totals():
    with dspy.context(lm=qa_lm()):
        pred = dspy.Predict("question -> answer")(question="q")
    assert pred.get_lm_usage()["calls"] == 1  # stated difference: DSPy gives None here
