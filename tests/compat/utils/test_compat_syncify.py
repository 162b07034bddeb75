"""`dspy.syncify` (issue 39): an async program (its own `aforward`) called from plain code, in
place or wrapped; also from inside a running event loop."""

from __future__ import annotations

import asyncio

import pytest

import engine as dspy
from engine.lm import ScriptedLM


class AsyncQA(dspy.Module):
    def __init__(self):
        super().__init__()
        self.predict = dspy.Predict("question -> answer")

    async def aforward(self, question):
        return await self.predict.acall(question=question)


REPLY = "[[ ## answer ## ]]\nParis\n\n[[ ## completed ## ]]"


def test_syncify_in_place_and_wrapped_run_aforward():
    with dspy.context(lm=ScriptedLM([REPLY], cycle=True)):
        program = AsyncQA()
        assert dspy.syncify(program) is program
        assert program(question="Capital?").answer == "Paris"
        wrapped = dspy.syncify(AsyncQA(), in_place=False)
        assert isinstance(wrapped, dspy.Module) and wrapped(question="Capital?").answer == "Paris"
        assert [name for name, _ in wrapped.named_predictors()] == ["program.predict"]


def test_syncify_works_inside_a_running_loop_with_the_callers_settings():
    async def notebook_cell():
        return dspy.syncify(AsyncQA())(question="Capital?").answer

    with dspy.context(lm=ScriptedLM([REPLY])):
        assert asyncio.run(notebook_cell()) == "Paris"


def test_syncify_refuses_a_module_without_its_own_aforward():
    with pytest.raises(TypeError, match="aforward"):
        dspy.syncify(dspy.Predict("question -> answer"))
    assert dspy.utils.syncify is dspy.syncify
