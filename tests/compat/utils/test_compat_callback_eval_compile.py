"""Callbacks of evaluations and optimizers (issue 39, item 9): `on_evaluate_start/end` around
`Evaluate.__call__`, `on_compile_start/end` once around an optimizer's `compile` (also when a
subclass's compile calls its base's), as real dspy calls them."""

from __future__ import annotations

import pytest

import engine as dspy
from engine.lm import ScriptedLM

real_dspy = pytest.importorskip("dspy")

REPLY = "[[ ## answer ## ]]\nParis\n\n[[ ## completed ## ]]"


def recorder(base: type) -> type:
    class Recorder(base):
        def __init__(self):
            self.events = []

        def on_evaluate_start(self, call_id, instance, inputs):
            self.events.append(("evaluate_start", type(instance).__name__))

        def on_evaluate_end(self, call_id, outputs, exception):
            self.events.append(("evaluate_end", exception))

        def on_compile_start(self, call_id, instance, inputs):
            self.events.append(("compile_start", type(instance).__name__))

        def on_compile_end(self, call_id, outputs, exception):
            self.events.append(("compile_end", type(outputs).__name__, exception))

    return Recorder


def _data(lib):
    return [lib.Example(question="Capital of France?", answer="Paris").with_inputs("question")]


def _metric(example, pred, trace=None):
    return example.answer == pred.answer


def test_evaluate_is_heard_like_dspy():
    ours = recorder(dspy.utils.BaseCallback)()
    with dspy.context(lm=ScriptedLM([REPLY], cycle=True), callbacks=[ours]):
        dspy.Evaluate(devset=_data(dspy), metric=_metric, num_threads=1)(
            dspy.Predict("question -> answer")
        )
    theirs = recorder(real_dspy.utils.callback.BaseCallback)()
    lm = real_dspy.utils.DummyLM([{"answer": "Paris"}])
    with real_dspy.context(lm=lm, callbacks=[theirs]):
        real_dspy.Evaluate(devset=_data(real_dspy), metric=_metric, num_threads=1)(
            real_dspy.Predict("question -> answer")
        )
    assert ours.events == theirs.events == [("evaluate_start", "Evaluate"), ("evaluate_end", None)]


def test_compile_is_heard_once_even_through_super():
    ours = recorder(dspy.utils.BaseCallback)()
    with dspy.context(lm=ScriptedLM([REPLY], cycle=True), callbacks=[ours]):
        dspy.BootstrapFewShot(metric=_metric, max_bootstrapped_demos=1).compile(
            dspy.Predict("question -> answer"), trainset=_data(dspy)
        )
        dspy.COPRO(metric=_metric, breadth=2, depth=1)  # built, not compiled: nothing heard
    assert ours.events == [("compile_start", "BootstrapFewShot"), ("compile_end", "Predict", None)]


def test_ensemble_compile_is_heard_and_a_failing_compile_reports_its_error():
    ours = recorder(dspy.utils.BaseCallback)()
    with dspy.context(callbacks=[ours]):
        dspy.Ensemble(reduce_fn=dspy.majority).compile([dspy.Predict("q -> a")])
        with pytest.raises(ValueError):
            dspy.Ensemble().compile([])
    assert ours.events[:2] == [("compile_start", "Ensemble"), ("compile_end", "EnsembledProgram",
                                                               None)]  # fmt: skip
    assert ours.events[2] == ("compile_start", "Ensemble")
    assert ours.events[3][0] == "compile_end" and isinstance(ours.events[3][2], ValueError)
