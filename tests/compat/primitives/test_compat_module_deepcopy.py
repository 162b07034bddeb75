"""Deep-copying a program with an uncopyable attribute (a lock, a client) falls back to a
shallow copy of that attribute, as DSPy's `Module.deepcopy`; BootstrapFewShot compiles it."""

from __future__ import annotations

import logging
import threading

import dspy as real_dspy
import pytest

import engine as dspy
from engine.lm import ScriptedLM


class Client:
    """A client that refuses to be deep-copied but can be copied shallowly."""

    def __init__(self) -> None:
        self.calls = 0

    def __deepcopy__(self, memo):
        raise TypeError("cannot deep-copy a client")


def make_program(lib):
    class Program(lib.Module):
        def __init__(self):
            super().__init__()
            self.lock = threading.Lock()
            self.client = Client()
            self.notes = ["kept"]
            self.answer = lib.Predict("question -> answer")

        def forward(self, question):
            with self.lock:
                return self.answer(question=question)

    return Program()


@pytest.mark.parametrize("lib", [dspy, real_dspy], ids=["engine", "dspy"])
def test_deepcopy_falls_back_for_uncopyable_attributes(lib, caplog):
    program = make_program(lib)
    with caplog.at_level(logging.WARNING):
        copied = program.deepcopy()
    assert copied is not program
    assert copied.lock is program.lock  # a lock can be neither deep- nor shallow-copied
    assert isinstance(copied.client, Client) and copied.client is not program.client
    assert copied.notes == ["kept"] and copied.notes is not program.notes
    assert copied.answer is not program.answer  # predictors are still deep copies
    copied.answer.demos.append(lib.Example(question="q", answer="a"))
    assert program.answer.demos == []
    assert "lock" in caplog.text


def test_plain_program_still_shares_its_lm():
    lm = ScriptedLM(answers=["x"])
    predict = dspy.Predict("question -> answer")
    predict.lm = lm
    assert predict.deepcopy().lm is lm


def test_bootstrap_compiles_a_program_holding_a_lock():
    program = make_program(dspy)
    trainset = [
        dspy.Example(question=f"q{i}", answer=f"a{i}").with_inputs("question") for i in range(3)
    ]
    lm = ScriptedLM(
        by_input=lambda messages: {"answer": messages[-1]["content"].split()[-1].replace("q", "a")}
    )
    dspy.configure(lm=lm)
    optimizer = dspy.teleprompt.BootstrapFewShot(
        metric=lambda example, pred, trace=None: example.answer == pred.answer,
        max_bootstrapped_demos=2,
        max_labeled_demos=0,
    )
    compiled = optimizer.compile(program, trainset=trainset)
    assert compiled is not program
    assert len(compiled.answer.demos) == 2
    assert compiled(question="q7").answer == "a7"


def test_modules_in_lists_are_still_copied_when_a_lock_is_beside_them():
    class Step(dspy.Module):
        def __init__(self):
            self.lock = threading.Lock()
            self.predict = dspy.Predict("q -> a")

    class Chain(dspy.Module):
        def __init__(self):
            self.steps = [Step(), Step()]
            self.by_name = {"first": self.steps[0]}

    chain = Chain()
    copied = chain.deepcopy()
    assert copied.steps[0] is not chain.steps[0]
    assert copied.steps[0].predict is not chain.steps[0].predict
    assert copied.by_name["first"] is copied.steps[0]  # shared references stay shared
    assert copied.steps[1].lock is chain.steps[1].lock
    assert [p for p, _ in copied.named_predictors()] == [p for p, _ in chain.named_predictors()]
