"""Project spec: YAML/JSON round trip, validation messages, auto choice, generated code."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from engine.core._errors import SpecError
from engine.optimizers.auto import choose_optimizer
from engine.runs import build_program, generate_python, load_spec, save_spec, spec_from_dict


def _two_step(**overrides):
    data = {
        "name": "two steps",
        "pipeline": [
            {"name": "summarize", "module": "ChainOfThought", "instructions": "Summarize it.",
             "fields": [{"name": "ticket", "role": "input", "description": "the message"},
                        {"name": "summary", "role": "output"}]},
            {"name": "classify", "fields": [
                {"name": "ticket", "role": "input"}, {"name": "summary", "role": "input"},
                {"name": "category", "role": "output", "type": "literal", "choices": ["a", "b"]},
                {"name": "urgency", "role": "output", "type": "int"}]},
        ],
        "data": {"csv": "x.csv", "columns": {"ticket": "ticket", "category": "category"}},
    }  # fmt: skip
    data.update(overrides)
    return data


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_round_trip(tmp_path: Path, tickets_spec, suffix: str) -> None:
    path = save_spec(tickets_spec, tmp_path / f"spec{suffix}")
    again = load_spec(path)
    assert again.to_dict() == tickets_spec.to_dict()
    assert again.base_dir == tmp_path.resolve()
    assert "api_key" not in path.read_text()


def test_derived_fields_and_wiring() -> None:
    spec = spec_from_dict(_two_step())
    assert spec.input_fields == ["ticket"]
    assert spec.label_fields == ["category", "urgency"]
    program = build_program(spec)
    assert [p for p, _ in program.named_predictors()] == ["summarize.predict", "classify"]


@pytest.mark.parametrize(
    "change, expected",
    [
        (
            {"optimizer": {"name": "foo"}},
            "optimizer.name: unknown optimizer 'foo'; choose one of auto",
        ),
        (
            {"optimizer": {"budget": {"max_calls": 0}}},
            "optimizer.budget.max_calls: must be greater than 0",
        ),
        (
            {"optimizer": {"budget": {"max_minutes": -1}}},
            "optimizer.budget.max_minutes: must be greater than 0",
        ),
        ({"metric": {"kind": "bleu"}}, "metric.kind: unknown metric 'bleu'"),
        (
            {"metric": {"field": "summary"}},
            "metric.field: 'summary' is not an output of the last step",
        ),
        (
            {"models": {"task": {"model": "openai/gpt-4o-mini", "api_key": "sk-x"}}},
            "models.task: 'api_key' is not allowed in a spec",
        ),
        (
            {"data": {"csv": "x.csv", "columns": {"ticket": "nope"}}},
            "data.columns: field(s) ['nope']",
        ),
        ({"pipeline": []}, "pipeline: add at least one step"),
        ({"surprise": 1}, "surprise: unknown key"),
    ],
)
def test_validation_messages_name_the_field(change: dict, expected: str) -> None:
    with pytest.raises(SpecError) as info:
        spec_from_dict(_two_step(**change))
    assert expected in str(info.value)


def test_field_level_problems() -> None:
    bad = _two_step()
    bad["pipeline"][1]["fields"][2] = {"name": "category", "role": "output", "type": "literal"}
    with pytest.raises(SpecError, match=r"pipeline\.1\.fields\.2: .*type literal but no choices"):
        spec_from_dict(bad)
    bad = _two_step()
    bad["pipeline"][0]["fields"][0]["name"] = "2bad"
    with pytest.raises(
        SpecError, match=r"pipeline\.0\.fields\.0\.name: .*must be a Python identifier"
    ):
        spec_from_dict(bad)
    bad = _two_step()
    bad["pipeline"][1]["fields"][1]["name"] = "note"
    bad["pipeline"][1]["fields"][3]["name"] = "summary"
    with pytest.raises(SpecError, match="already produced by step 'summarize'"):
        spec_from_dict(bad)


@pytest.mark.parametrize("alias, name", [
    ("labeled", "LabeledFewShot"), ("bootstrap", "BootstrapFewShot"),
    ("random_search", "BootstrapFewShotWithRandomSearch"), ("BootstrapFewShotWithRandomSearch",
                                                            "BootstrapFewShotWithRandomSearch"),
    ("auto", "auto"),
])  # fmt: skip
def test_optimizer_names(alias: str, name: str) -> None:
    assert spec_from_dict(_two_step(optimizer={"name": alias})).optimizer.name == name


def test_auto_choice_by_train_size() -> None:
    assert choose_optimizer(1)[0] == choose_optimizer(2)[0] == "MIPROv2"
    assert "zero-shot" in choose_optimizer(2)[1]
    assert choose_optimizer(3)[0] == "BootstrapFewShot"
    assert choose_optimizer(19)[0] == "BootstrapFewShot"
    name, reason = choose_optimizer(20)
    assert name == "BootstrapFewShotWithRandomSearch" and "20 training examples" in reason


def test_generated_code_rebuilds_the_same_program() -> None:
    spec = spec_from_dict(_two_step())
    program = build_program(spec)
    program.predictors()[1].demos = []
    code = generate_python(spec, state=program.dump_state())
    namespace: dict = {"__name__": "generated"}
    exec(compile(code, "generated.py", "exec"), namespace)
    generated = namespace["program"]
    assert generated.dump_state() == program.dump_state()
    for (p1, a), (p2, b) in zip(generated.named_predictors(), program.named_predictors()):
        assert p1 == p2 and a.signature.equals(b.signature)


def test_generated_code_carries_fitted_predictor_entries_and_says_so():
    spec = spec_from_dict(_two_step())
    program = build_program(spec)
    program.predictors()[1].choice_offsets = {"category": {"b": -1.5}}
    program.predictors()[0].one_line_outputs = ["summary"]
    code = generate_python(spec, state=program.dump_state())
    assert "# choice_offsets:" in code and "# one_line_outputs:" in code
    namespace: dict = {"__name__": "generated"}
    exec(compile(code, "generated.py", "exec"), namespace)
    generated = namespace["program"].predictors()
    assert generated[1].choice_offsets == {"category": {"b": -1.5}}
    assert generated[0].one_line_outputs == ["summary"]
    plain = generate_python(spec, state=build_program(spec).dump_state())
    assert "choice_offsets" not in plain and "one_line_outputs" not in plain


def _import_file(path: Path, name: str):
    """Import generated code as a real module (DSPy resolves annotations through sys.modules)."""
    import sys

    module_spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module
    try:
        module_spec.loader.exec_module(module)
    finally:
        sys.modules.pop(name, None)
    return module


@pytest.mark.skipif(importlib.util.find_spec("dspy") is None, reason="dspy is not installed")
def test_generated_code_and_state_load_under_real_dspy(tmp_path: Path) -> None:
    spec = spec_from_dict(_two_step())
    program = build_program(spec)
    program.predictors()[1].demos = [{"ticket": "t", "summary": "s", "category": "a", "urgency": 1}]
    path = tmp_path / "program.json"
    program.save(path)
    code = generate_python(spec).replace("import engine as dspy", "import dspy")
    (tmp_path / "gen_for_dspy.py").write_text(code)
    module = _import_file(tmp_path / "gen_for_dspy.py", "gen_for_dspy")
    module.program.load(str(path))
    paths = [name for name, _ in module.program.named_predictors()]
    assert paths == ["summarize.predict", "classify"]
    assert module.program.classify.demos[0]["category"] == "a"


def test_a_plateau_wait_the_call_limit_can_never_reach_is_refused():
    def optimizer(wait, calls):
        return {"name": "auto", "stop_when_flat": wait, "budget": {"max_calls": calls}}

    with pytest.raises(SpecError, match="can never end a search limited to 300 LM calls"):
        spec_from_dict(_two_step(optimizer=optimizer(300, 300)))
    assert spec_from_dict(_two_step(optimizer=optimizer(299, 300))).optimizer.stop_when_flat == 299
    unlimited = spec_from_dict(_two_step(optimizer=optimizer(5000, None)))
    assert unlimited.optimizer.stop_when_flat == 5000  # no call limit: nothing to refuse
