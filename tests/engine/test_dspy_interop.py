"""Program state saved by Tunesmith loads into the equivalent real `dspy` program, and back."""

from __future__ import annotations

import pytest

import engine

dspy = pytest.importorskip("dspy", reason="the dev extra installs dspy==3.4.1 for interop tests")


class TunesmithProgram(engine.Module):
    def __init__(self):
        self.summarize = engine.Predict("text -> summary")
        self.classify = engine.ChainOfThought("summary -> label: Literal['billing', 'technical']")

    def forward(self, text):
        return self.classify(summary=self.summarize(text=text).summary)


class DSPyProgram(dspy.Module):
    def __init__(self):
        self.summarize = dspy.Predict("text -> summary")
        self.classify = dspy.ChainOfThought("summary -> label: Literal['billing', 'technical']")

    def forward(self, text):
        return self.classify(summary=self.summarize(text=text).summary)


def demos_of(predictor):
    return [dict(d.items()) for d in predictor.demos]


@pytest.fixture(autouse=True)
def _dspy_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("DSPY_CACHEDIR", str(tmp_path / "dspy-cache"))


def tuned_program() -> TunesmithProgram:
    program = TunesmithProgram()
    program.summarize.demos = [
        engine.Example(text="I was charged twice", summary="double charge"),
        engine.Example(text="App crashes on login", summary="login crash", augmented=True),
    ]
    program.classify.predict.demos = [
        engine.Example(summary="double charge", reasoning="money", label="billing")
    ]
    predictor = program.classify.predict
    predictor.signature = predictor.signature.with_instructions("Route the ticket to a team.")
    return program


def test_tunesmith_state_loads_in_dspy_with_identical_demos_and_instructions(tmp_path):
    program = tuned_program()
    path = tmp_path / "program.json"
    program.save(path)
    loaded = DSPyProgram()
    loaded.load(str(path))
    ours = dict(program.named_predictors())
    theirs = dict(loaded.named_predictors())
    assert list(ours) == list(theirs) == ["summarize", "classify.predict"]
    for name in ours:
        assert ours[name].signature.instructions == theirs[name].signature.instructions
        assert demos_of(ours[name]) == demos_of(theirs[name])


def test_untuned_state_is_identical_to_dspy_dump():
    assert TunesmithProgram().dump_state() == DSPyProgram().dump_state()


def test_dspy_state_loads_in_tunesmith(tmp_path):
    source = DSPyProgram()
    source.summarize.demos = [dspy.Example(text="t", summary="s")]
    predictor = source.classify.predict
    predictor.signature = predictor.signature.with_instructions("From dspy.")
    path = tmp_path / "from_dspy.json"
    source.save(str(path))
    program = TunesmithProgram().load(path)
    assert program.classify.predict.signature.instructions == "From dspy."
    assert demos_of(program.summarize) == [{"text": "t", "summary": "s"}]
