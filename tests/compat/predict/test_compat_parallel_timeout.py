"""`Parallel(timeout=, straggler_limit=, provide_traceback=)` and `Module.batch` with DSPy's
arguments."""

from __future__ import annotations

import inspect
import logging
import threading
import time

import pytest

import engine as dspy
from engine.core._errors import TooManyErrors
from engine.lm import ScriptedLM

real_dspy = pytest.importorskip("dspy")


class SlowOnce(dspy.Module):
    """The first call for question "slow" hangs; a resubmitted call answers at once."""

    def __init__(self):
        super().__init__()
        self.calls = 0
        self.lock = threading.Lock()

    def forward(self, question):
        with self.lock:
            self.calls += 1
            first = self.calls == 1
        if question == "slow" and first:
            time.sleep(5)
            return dspy.Prediction(answer="late")
        return dspy.Prediction(answer=question)


def test_batch_accepts_dspys_arguments():
    ours = set(inspect.signature(dspy.Module.batch).parameters)
    theirs = set(inspect.signature(real_dspy.Module.batch).parameters)
    assert theirs <= ours


def test_a_straggler_is_resubmitted_after_timeout():
    dspy.configure(lm=ScriptedLM(answers=["x"]))  # a hosted-like LM: several threads
    module = SlowOnce()
    examples = [dspy.Example(question=q).with_inputs("question") for q in ("slow", "a", "b")]
    start = time.monotonic()
    results = module.batch(examples, num_threads=3, timeout=0.3, straggler_limit=3)
    assert time.monotonic() - start < 4
    assert [r.answer for r in results] == ["slow", "a", "b"]


def test_without_timeout_nothing_is_resubmitted():
    dspy.configure(lm=ScriptedLM(answers=["x"]))
    module = SlowOnce()
    pairs = [(module, {"question": "a"}), (module, {"question": "b"})]
    assert [r.answer for r in dspy.Parallel(num_threads=2)(pairs)] == ["a", "b"]
    assert module.calls == 2


def test_negative_timeout_is_refused():
    with pytest.raises(ValueError, match="timeout"):
        dspy.Parallel(timeout=-1)


class Fails(dspy.Module):
    def forward(self, question):
        raise ValueError(f"bad {question}")


def test_provide_traceback_logs_the_traceback(caplog):
    examples = [dspy.Example(question="q").with_inputs("question")]
    with caplog.at_level(logging.ERROR):
        Fails().batch(examples, provide_traceback=True)
    assert "Traceback" in caplog.text and "bad q" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.ERROR):
        Fails().batch(examples)
    assert "provide_traceback=True" in caplog.text and "Traceback" not in caplog.text


def test_batch_max_errors():
    examples = [dspy.Example(question=str(i)).with_inputs("question") for i in range(3)]
    with pytest.raises(TooManyErrors):
        Fails().batch(examples, max_errors=1)
    results, failed, errors = Fails().batch(examples, return_failed_examples=True)
    assert results == [None] * 3 and len(failed) == 3 and isinstance(errors[0], ValueError)
