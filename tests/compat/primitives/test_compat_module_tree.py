"""The module tree API: `named_sub_modules` (lists, tuples, dicts, `type_`, `skip_compiled`),
`named_parameters`, `parameters`, with the names real dspy gives the same program."""

from __future__ import annotations

import pytest

import engine as dspy

real_dspy = pytest.importorskip("dspy")


def build(lib):
    class Program(lib.Module):
        def __init__(self):
            super().__init__()
            self.first = lib.Predict("question -> answer")
            self.chain = [lib.ChainOfThought("question -> answer")]
            self.pair = (lib.Predict("question -> hint"),)
            self.table = {"k": lib.Predict("question -> note")}

        def forward(self, question):
            return self.first(question=question)

    return Program()


def test_named_sub_modules_names_match_dspy():
    ours = [name for name, _ in build(dspy).named_sub_modules()]
    theirs = [name for name, _ in build(real_dspy).named_sub_modules()]
    assert ours == theirs


def test_named_sub_modules_by_type_matches_dspy():
    ours = [n for n, _ in build(dspy).named_sub_modules(type_=dspy.Predict)]
    theirs = [n for n, _ in build(real_dspy).named_sub_modules(type_=real_dspy.Predict)]
    assert ours == theirs


def test_named_parameters_and_parameters_match_dspy():
    ours, theirs = build(dspy), build(real_dspy)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert len(ours.parameters()) == len(theirs.parameters()) == 4
    assert all(isinstance(p, dspy.Predict) for p in ours.parameters())


def test_skip_compiled_does_not_enter_compiled_modules():
    program = build(dspy)
    program.chain[0]._compiled = True
    names = [n for n, _ in program.named_sub_modules(skip_compiled=True)]
    assert "self.chain[0]" in names and "self.chain[0].predict" not in names


def test_callbacks_and_history_are_not_walked():
    program = build(dspy)
    program.history = [{"note": dspy.Predict("a -> b")}]
    assert len(program.predictors()) == 4
