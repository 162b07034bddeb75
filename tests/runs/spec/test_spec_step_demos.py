"""A step's starting demos (`demos:` of a Predict or ChainOfThought step, e.g. a DSPy
program's, brought in): kept in the YAML, built into the step's predictor, refused elsewhere."""

from __future__ import annotations

import pytest

from engine.core import Example, SpecError
from engine.lm import ScriptedLM
from engine.runs.pipeline import build_program
from engine.runs.spec import spec_from_dict, spec_from_text

DEMO = {"ticket": "I was charged twice", "category": "billing"}


def spec_dict(module: str = "Predict", demos: list | None = None) -> dict:
    step = {
        "name": "classify", "module": module, "instructions": "Route the ticket.",
        "fields": [{"name": "ticket", "role": "input"},
                   {"name": "category", "role": "output", "type": "literal",
                    "choices": ["billing", "shipping"]}],
    }  # fmt: skip
    if demos is not None:
        step["demos"] = demos
    return {"name": "t", "pipeline": [step], "data": {"csv": "data.csv"}}


@pytest.mark.parametrize(("module", "path"), [("Predict", "self"), ("ChainOfThought", "predict")])
def test_demos_are_the_predictors_starting_demos(module, path):
    spec = spec_from_dict(spec_dict(module, [DEMO]))
    predictors = dict(build_program(spec).classify.named_predictors())
    assert [dict(d.items()) for d in predictors[path].demos] == [DEMO]
    assert isinstance(predictors[path].demos[0], Example)


def test_the_demos_reach_the_prompt():
    spec = spec_from_dict(spec_dict("Predict", [DEMO]))
    lm = ScriptedLM(answers=[{"category": "billing"}])
    program = build_program(spec)
    program.set_lm(lm)
    assert program(ticket="Refund me").category == "billing"
    assert "I was charged twice" in str(lm.history[-1]["messages"])


def test_demos_survive_the_yaml_and_none_are_not_written():
    spec = spec_from_dict(spec_dict("Predict", [DEMO]))
    assert spec_from_text(spec.to_yaml()).pipeline[0].demos == [DEMO]
    assert "demos" not in spec_from_dict(spec_dict()).to_dict()["pipeline"][0]


def test_demos_on_a_step_without_a_prompt_of_its_own_are_refused():
    data = spec_dict("ProgramOfThought", [DEMO])
    with pytest.raises(SpecError, match="demos are used by Predict and ChainOfThought steps only"):
        spec_from_dict(data)


def test_a_key_in_a_demo_is_refused_without_echoing_it():
    key = "sk-proj-" + "A1b2C3d4E5f6G7h8I9j0" * 2
    with pytest.raises(SpecError) as caught:
        spec_from_dict(spec_dict("Predict", [{"ticket": key, "category": "billing"}]))
    assert key not in str(caught.value)
