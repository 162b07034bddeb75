"""ReAct and ProgramOfThought state saved by Tunesmith loads in real dspy 3.4.1, and back."""

from __future__ import annotations

import warnings

import pytest

import engine

dspy = pytest.importorskip("dspy", reason="the dev extra installs dspy==3.4.1 for interop tests")


def lookup(name: str, limit: int = 3) -> str:
    """Look up a person in the table."""
    return name


@pytest.fixture(autouse=True)
def _dspy_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("DSPY_CACHEDIR", str(tmp_path / "dspy-cache"))


def dspy_pot(signature: str):
    with warnings.catch_warnings():  # ProgramOfThought is deprecated in dspy 3.4
        warnings.simplefilter("ignore", DeprecationWarning)
        return dspy.ProgramOfThought(signature)


def demos_of(predictor):
    return [dict(d.items()) for d in predictor.demos]


def same_predictors(ours, theirs):
    ours, theirs = dict(ours.named_predictors()), dict(theirs.named_predictors())
    assert list(ours) == list(theirs)
    for name in ours:
        assert ours[name].signature.instructions == theirs[name].signature.instructions
        assert demos_of(ours[name]) == demos_of(theirs[name])


def test_untuned_react_state_is_identical_to_dspy_dump():
    ours = engine.ReAct("question -> answer", tools=[lookup], max_iters=4)
    theirs = dspy.ReAct("question -> answer", tools=[lookup], max_iters=4)
    assert ours.dump_state() == theirs.dump_state()


def test_tuned_react_loads_in_dspy(tmp_path):
    agent = engine.ReAct("question -> answer", tools=[lookup])
    agent.react.demos = [
        engine.Example(
            question="When was Ada born?",
            trajectory="",
            next_thought="Look her up.",
            next_tool_name="lookup",
            next_tool_args={"name": "Ada"},
        )
    ]
    extract = agent.extract.predict
    extract.signature = extract.signature.with_instructions("Answer from the observations.")
    extract.demos = [engine.Example(question="q", trajectory="t", reasoning="r", answer="a")]
    agent.save(tmp_path / "agent.json")
    loaded = dspy.ReAct("question -> answer", tools=[lookup])
    loaded.load(str(tmp_path / "agent.json"))
    same_predictors(agent, loaded)


def test_dspy_react_state_loads_in_tunesmith(tmp_path):
    source = dspy.ReAct("question -> answer", tools=[lookup])
    source.react.signature = source.react.signature.with_instructions("From dspy.")
    source.extract.predict.demos = [dspy.Example(question="q", trajectory="", answer="a")]
    source.save(str(tmp_path / "from_dspy.json"))
    agent = engine.ReAct("question -> answer", tools=[lookup]).load(tmp_path / "from_dspy.json")
    same_predictors(agent, source)


def test_untuned_program_of_thought_state_is_identical_to_dspy_dump():
    for signature in ("question -> answer", "question, context -> answer: int, note"):
        assert engine.ProgramOfThought(signature).dump_state() == dspy_pot(signature).dump_state()


def test_tuned_program_of_thought_loads_in_dspy_and_back(tmp_path):
    pot = engine.ProgramOfThought("question -> answer")
    pot.code_generate.predict.demos = [
        engine.Example(question="1+1?", reasoning="add", generated_code="print(1 + 1)")
    ]
    answer = pot.generate_output.predict
    answer.signature = answer.signature.with_instructions("Read the number it printed.")
    pot.save(tmp_path / "pot.json")
    loaded = dspy_pot("question -> answer")
    loaded.load(str(tmp_path / "pot.json"))
    same_predictors(pot, loaded)
    loaded.save(str(tmp_path / "back.json"))
    again = engine.ProgramOfThought("question -> answer").load(tmp_path / "back.json")
    same_predictors(again, loaded)


class Agentic(engine.Module):
    def __init__(self):
        self.plan = engine.ChainOfThought("question -> plan")
        self.act = engine.ReAct("question, plan -> answer", tools=[lookup])

    def forward(self, question):
        return self.act(question=question, plan=self.plan(question=question).plan)


class DSPyAgentic(dspy.Module):
    def __init__(self):
        self.plan = dspy.ChainOfThought("question -> plan")
        self.act = dspy.ReAct("question, plan -> answer", tools=[lookup])


def test_multi_step_program_with_react_loads_in_dspy(tmp_path):
    program = Agentic()
    program.act.react.demos = [engine.Example(question="q", plan="p", next_thought="t")]
    program.save(tmp_path / "program.json")
    loaded = DSPyAgentic()
    loaded.load(str(tmp_path / "program.json"))
    assert [n for n, _ in program.named_predictors()] == [
        "plan.predict",
        "act.react",
        "act.extract.predict",
    ]
    same_predictors(program, loaded)
