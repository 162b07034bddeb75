"""`InputField(default=...)` fills a left-out input; an optional output (or one with a default)
missing from the reply takes None (or its default) instead of failing the parse, as in DSPy."""

from typing import Optional

import dspy as real_dspy
import pytest
from dspy.utils import DummyLM

import engine as dspy
from engine.core._errors import AdapterParseError
from engine.lm import ScriptedLM

BOTH = pytest.mark.parametrize("lib", [dspy, real_dspy], ids=["engine", "dspy"])


def run(lib, signature, answers, adapter=None, **inputs):
    if lib is dspy:
        lm = ScriptedLM(answers=answers)
        with dspy.context(adapter=adapter):
            return lib.Predict(signature)(lm=lm, **inputs), lm
    lm = DummyLM(answers)
    with real_dspy.context(lm=lm, adapter=adapter or real_dspy.ChatAdapter()):
        return lib.Predict(signature)(**inputs), lm


def signature(lib):
    class Review(lib.Signature):
        text: str = lib.InputField()
        tone: str = lib.InputField(default="neutral")
        verdict: str = lib.OutputField()
        note: Optional[str] = lib.OutputField()  # noqa: UP045 - the spelling under test
        flag: "int | None" = lib.OutputField()
        stars: int = lib.OutputField(default=3)

    return Review


@BOTH
def test_input_default_is_sent(lib):
    pred, lm = run(lib, signature(lib), [{"verdict": "ok"}], text="fine")
    sent = lm.history[-1]["messages"][-1]["content"]
    assert "[[ ## tone ## ]]\nneutral" in sent
    assert pred.verdict == "ok"


@BOTH
def test_given_input_wins_over_default(lib):
    _, lm = run(lib, signature(lib), [{"verdict": "ok"}], text="fine", tone="angry")
    assert "[[ ## tone ## ]]\nangry" in lm.history[-1]["messages"][-1]["content"]


@BOTH
def test_absent_optional_outputs_default(lib):
    pred, _ = run(lib, signature(lib), [{"verdict": "ok"}], text="fine")
    assert (pred.note, pred.flag, pred.stars) == (None, None, 3)


@BOTH
def test_present_optional_outputs_are_read(lib):
    reply = {"verdict": "ok", "note": "short", "flag": "2", "stars": "5"}
    pred, _ = run(lib, signature(lib), [reply], text="fine")
    assert (pred.note, pred.flag, pred.stars) == ("short", 2, 5)


def test_json_adapter_too():
    lm = ScriptedLM(answers=['{"verdict": "ok"}'])
    with dspy.context(adapter=dspy.JSONAdapter()):
        pred = dspy.Predict(signature(dspy))(text="fine", lm=lm)
    assert (pred.verdict, pred.note, pred.stars) == ("ok", None, 3)


def test_a_required_output_still_fails():
    lm = ScriptedLM(answers=[{"note": "n"}, '{"note": "n"}'])
    with dspy.context(adapter=dspy.ChatAdapter(use_json_fallback=False)):
        with pytest.raises(AdapterParseError, match="verdict"):
            dspy.Predict(signature(dspy))(text="fine", lm=lm)


def test_missing_required_input_still_fails():
    with pytest.raises(dspy.MissingInputError, match="text"):
        dspy.Predict(signature(dspy))(tone="x", lm=ScriptedLM(answers=[{"verdict": "ok"}]))
