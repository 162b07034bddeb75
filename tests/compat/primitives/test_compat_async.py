"""Async: `acall` / `aforward` on modules and `dspy.asyncify`, with the caller's settings."""

from __future__ import annotations

import asyncio

import engine as dspy
from engine.lm import ScriptedLM


def answer_lm(answer: str = "42") -> ScriptedLM:
    return ScriptedLM(answers=[{"answer": answer}], cycle=True)


def test_acall_runs_forward():
    predict = dspy.Predict("question -> answer")
    with dspy.context(lm=answer_lm()):
        out = asyncio.run(predict.acall(question="q"))
    assert out.answer == "42"


def test_a_custom_aforward_is_used():
    class Native(dspy.Module):
        def __init__(self):
            super().__init__()
            self.step = dspy.Predict("question -> answer")

        def forward(self, question):
            raise AssertionError("acall must use aforward")

        async def aforward(self, question):
            first = await self.step.acall(question=question)
            return dspy.Prediction(answer=first.answer + "!")

    with dspy.context(lm=answer_lm()):
        assert asyncio.run(Native().acall(question="q")).answer == "42!"


def test_asyncify_runs_concurrently_with_the_callers_context():
    program = dspy.asyncify(dspy.Predict("question -> answer"))

    async def many():
        with dspy.context(lm=answer_lm("inner")):
            return await asyncio.gather(*(program(question=f"q{i}") for i in range(4)))

    dspy.configure(lm=answer_lm("outer"))
    assert [p.answer for p in asyncio.run(many())] == ["inner"] * 4


def test_acall_with_track_usage_sets_usage():
    with dspy.context(lm=answer_lm(), track_usage=True):
        out = asyncio.run(dspy.Predict("question -> answer").acall(question="q"))
    assert list(out.get_lm_usage()) == ["scripted/default"]


def test_lm_acall():
    lm = answer_lm()
    assert asyncio.run(lm.acall("hello"))[0].startswith("[[ ## answer ## ]]")
