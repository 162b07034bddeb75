"""Callbacks: `dspy.utils.callback.BaseCallback` handlers for module, LM and tool calls, from
settings and from `callbacks=` on modules and LMs, in the order real dspy calls them."""

from __future__ import annotations

import pytest

import engine as dspy
from engine.lm import ScriptedLM
from engine.utils.callback import BaseCallback

real_dspy = pytest.importorskip("dspy")


def recorder(base: type) -> type:
    class Recorder(base):
        def __init__(self):
            self.events = []

        def on_module_start(self, call_id, instance, inputs):
            self.events.append(("module_start", type(instance).__name__, inputs))

        def on_module_end(self, call_id, outputs, exception):
            self.events.append(("module_end", type(outputs).__name__, exception))

        def on_lm_start(self, call_id, instance, inputs):
            self.events.append(("lm_start", sorted(inputs)))

        def on_lm_end(self, call_id, outputs, exception):
            self.events.append(("lm_end", len(outputs or []), exception))

        def on_tool_start(self, call_id, instance, inputs):
            self.events.append(("tool_start", instance.name, inputs))

        def on_tool_end(self, call_id, outputs, exception):
            self.events.append(("tool_end", outputs, exception))

    return Recorder


def program(lib):
    class Program(lib.Module):
        def __init__(self):
            super().__init__()
            self.answer = lib.Predict("question -> answer")

        def forward(self, question):
            return self.answer(question=question)

    return Program()


def test_module_and_lm_events_match_dspy():
    from dspy.utils.dummies import DummyLM

    ours = recorder(BaseCallback)()
    with dspy.context(lm=ScriptedLM(answers=[{"answer": "4"}]), callbacks=[ours]):
        program(dspy)(question="2+2")
    theirs = recorder(real_dspy.utils.BaseCallback)()
    with real_dspy.context(lm=DummyLM([{"answer": "4"}]), callbacks=[theirs]):
        program(real_dspy)(question="2+2")
    assert ours.events == theirs.events
    inputs = {"args": (), "kwargs": {"question": "2+2"}}
    assert ours.events[0] == ("module_start", "Program", inputs)


def test_instance_callbacks_on_a_module_and_an_lm():
    on_module, on_lm = recorder(BaseCallback)(), recorder(BaseCallback)()
    lm = ScriptedLM(answers=[{"answer": "4"}], callbacks=[on_lm])
    predict = dspy.Predict("question -> answer")
    predict.callbacks = [on_module]
    with dspy.context(lm=lm):
        predict(question="q")
    assert [e[0] for e in on_module.events] == ["module_start", "module_end"]
    assert [e[0] for e in on_lm.events] == ["lm_start", "lm_end"]


def test_module_init_takes_callbacks():
    cb = recorder(BaseCallback)()

    class Echo(dspy.Module):
        def forward(self, x):
            return dspy.Prediction(x=x)

    Echo(callbacks=[cb])(x=1)
    assert [e[0] for e in cb.events] == ["module_start", "module_end"]


def test_end_handler_sees_the_exception_and_it_still_raises():
    cb = recorder(BaseCallback)()

    class Fails(dspy.Module):
        def forward(self):
            raise KeyError("boom")

    with dspy.context(callbacks=[cb]), pytest.raises(KeyError):
        Fails()()
    assert cb.events[-1][0] == "module_end" and isinstance(cb.events[-1][2], KeyError)


def test_a_broken_handler_never_stops_the_program(caplog):
    class Broken(BaseCallback):
        def on_module_start(self, call_id, instance, inputs):
            raise RuntimeError("handler bug")

    with dspy.context(lm=ScriptedLM(answers=[{"answer": "4"}]), callbacks=[Broken()]):
        assert dspy.Predict("question -> answer")(question="q").answer == "4"
    assert "handler bug" in caplog.text


def test_tool_calls_are_reported():
    cb = recorder(BaseCallback)()

    def add(a: int, b: int) -> int:
        """Add two numbers."""
        return a + b

    with dspy.context(callbacks=[cb]):
        assert dspy.Tool(add)(a=1, b=2) == 3
    assert cb.events == [("tool_start", "add", {"kwargs": {"a": 1, "b": 2}}), ("tool_end", 3, None)]


def test_start_and_end_share_a_call_id():
    ids = []

    class Ids(BaseCallback):
        def on_lm_start(self, call_id, instance, inputs):
            ids.append(call_id)

        def on_lm_end(self, call_id, outputs, exception):
            ids.append(call_id)

    with dspy.context(lm=ScriptedLM(answers=["x"]), callbacks=[Ids()]):
        dspy.settings.lm("hi")
    assert len(ids) == 2 and ids[0] == ids[1]
