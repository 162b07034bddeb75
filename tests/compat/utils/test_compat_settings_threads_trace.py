"""Settings rules DSPy has: only the thread that first configured may `configure` again (others
use `context`), and a collected trace keeps its last `max_trace_size` entries."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

import engine as dspy
from engine.lm import ScriptedLM


def test_configure_from_another_thread_is_refused_and_context_works_there():
    dspy.configure(lm=ScriptedLM(["[[ ## answer ## ]]\nA"]))

    def worker():
        with pytest.raises(RuntimeError, match="can only be changed by the thread"):
            dspy.configure(num_threads=2)
        with dspy.context(num_threads=3):
            return dspy.settings.num_threads

    with ThreadPoolExecutor(max_workers=1) as pool:
        assert pool.submit(worker).result() == 3
    assert dspy.settings.num_threads == 4  # unchanged by the refused call
    dspy.configure(num_threads=5)  # the owning thread still may
    assert dspy.settings.num_threads == 5


def test_a_trace_keeps_its_last_max_trace_size_entries():
    lm = ScriptedLM([f"[[ ## answer ## ]]\n{i}" for i in range(6)])
    program = dspy.Predict("question -> answer")
    trace: list = []
    with dspy.context(lm=lm, trace=trace, max_trace_size=3):
        for i in range(6):
            program(question=f"q{i}")
    assert [entry[2].answer for entry in trace] == ["3", "4", "5"]
    assert all(entry[0] is program for entry in trace)
    with dspy.context(lm=ScriptedLM(["[[ ## answer ## ]]\nx"]), trace=trace, max_trace_size=0):
        program(question="not kept")
    assert len(trace) == 3


def test_no_trace_is_collected_unless_asked():
    dspy.configure(lm=ScriptedLM(["[[ ## answer ## ]]\nA"]))
    dspy.Predict("question -> answer")(question="q")
    assert dspy.settings.trace is None
