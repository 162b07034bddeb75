"""A `module: MultiChainComparison` step: spec round trip, bad options refused, M distinct
attempts then one comparison (listed on the prediction), both predictors tuned by a worker run,
and the exported .py and JSON rebuilding it (scripted LMs only)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from runs_helpers import bootstrap_through_worker
from scripted_lms import oracle_lm

import engine as dspy
from engine.core._errors import AdapterParseError, SpecError
from engine.lm import ScriptedLM
from engine.lm.scripted import input_fields
from engine.optimizers.spine._budget import calls_per_run
from engine.runs import load_spec
from engine.runs.export._files import export_program_json, export_python
from engine.runs.export.codegen import generate_python
from engine.runs.pipeline._multi_chain import StepMultiChain
from engine.runs.pipeline._program import build_program
from engine.runs.spec._spec import spec_from_dict

SAMPLES = Path(__file__).resolve().parents[3] / "sample_data"
PATHS = ["classify.attempt.predict", "classify.compare.predict"]


def _tickets(folder: Path = SAMPLES, **step: Any) -> dict:
    spec = load_spec(folder / "support_tickets.yaml").to_dict()
    spec["pipeline"][0].update(module="MultiChainComparison", **step)
    return spec


def _reply(messages: list[dict[str, Any]]) -> dict[str, str]:
    """Attempts answer by their sampling temperature; the comparison says 'technical'."""
    if "reasoning_attempt_1" in input_fields(messages[-1]["content"]):
        return {"rationale": "two of three say technical", "category": "technical"}
    return {"reasoning": "it looks like billing", "category": "billing"}


def test_multi_chain_round_trips_with_m_only_when_set() -> None:
    spec = spec_from_dict(_tickets(m=4), base_dir=SAMPLES)
    saved = spec.to_dict()["pipeline"][0]
    assert saved["module"] == "MultiChainComparison" and saved["m"] == 4
    assert spec_from_dict(spec.to_dict()).to_dict() == spec.to_dict()
    assert "m" not in spec_from_dict(_tickets()).to_dict()["pipeline"][0]


@pytest.mark.parametrize(
    ("step", "message"),
    [
        ({"m": 1}, "m must be from 2 to 10 attempts, got 1"),
        ({"m": 11}, "m must be from 2 to 10 attempts, got 11"),
        ({"module": "Predict", "m": 3}, "m is only used by a MultiChainComparison step"),
        ({"refine": {}}, "already compares several attempts; refine is not used"),
        ({"samples": {"n": 3}}, "already compares several attempts; samples is not used"),
    ],
)
def test_bad_multi_chain_options_are_refused(step: dict, message: str) -> None:
    raw = _tickets()
    raw["pipeline"][0].update(step)
    with pytest.raises(SpecError, match=message) as info:
        spec_from_dict(raw)
    assert "pipeline.0" in str(info.value)


def test_reserved_field_names_are_refused() -> None:
    for name in ("rationale", "reasoning", "classify_attempts"):
        raw = _tickets()
        raw["pipeline"][0]["fields"].append({"name": name, "role": "output"})
        with pytest.raises(SpecError, match=f"'{name}'"):
            spec_from_dict(raw)


def test_m_distinct_attempts_then_one_comparison() -> None:
    program = build_program(spec_from_dict(_tickets(m=3), base_dir=SAMPLES))
    assert isinstance(program.classify, StepMultiChain)
    assert [n for n, _ in program.named_predictors()] == PATHS
    assert calls_per_run(program) == 4
    lm = ScriptedLM(by_input=_reply, cache=True, temperature=0.0)  # the cache is on
    with dspy.context(lm=lm):
        prediction = program(ticket="My card was charged twice")
    assert lm.calls_made == 4  # three attempts (none a cache hit of another) + the comparison
    temperatures = [h["kwargs"].get("temperature") for h in lm.history]
    assert temperatures == [0.0, 0.7, 0.7, 0.0]  # attempt 1 greedy, then sampled; compare: LM's
    assert prediction.category == "technical"
    assert prediction.rationale == "two of three say technical"
    attempts = prediction.classify_attempts
    assert len(attempts) == 3
    assert attempts[0]["outputs"] == {"reasoning": "it looks like billing", "category": "billing"}
    compare_prompt = lm.history[-1]["messages"][-1]["content"]
    assert "my prediction is billing" in compare_prompt


def test_a_failed_attempt_is_shown_empty_and_all_failing_fails() -> None:
    program = build_program(spec_from_dict(_tickets(m=2), base_dir=SAMPLES))
    answers = ["no fields at all", "still nothing", {"reasoning": "r", "category": "shipping"},
               {"rationale": "only one", "category": "shipping"}]  # fmt: skip
    with dspy.context(lm=ScriptedLM(answers=answers)):
        prediction = program(ticket="Where is my parcel?")
    assert prediction.category == "shipping"
    first, second = prediction.classify_attempts
    assert first["outputs"] == {} and "error" in first
    assert second["outputs"]["category"] == "shipping"
    failed = r"could not parse the LM output into \['reasoning', 'category'\]"
    with dspy.context(lm=ScriptedLM(answers=["nothing"], cycle=True)), pytest.raises(
        AdapterParseError, match=failed
    ):
        program(ticket="x")


def _oracle_with_reasoning(spec: Any) -> ScriptedLM:
    """The oracle (right label once demos are shown), with the reasoning fields filled in."""
    base = oracle_lm(spec).by_input

    def reply(messages: list[dict[str, Any]]) -> dict[str, str]:
        extra = "rationale" if "reasoning_attempt_1" in messages[-1]["content"] else "reasoning"
        return {extra: "scripted", **base(messages)}

    return ScriptedLM(by_input=reply, name="oracle")


def test_worker_run_tunes_both_predictors_and_exports(db_path: Path, project: Path) -> None:
    spec = _tickets(project, m=2)
    run, rows = bootstrap_through_worker(spec, project, db_path, _oracle_with_reasoning)
    built = spec_from_dict(spec, base_dir=project)
    assert list(run["program"]) == PATHS
    for path in PATHS:
        demos = run["program"][path]["demos"]
        assert len(demos) == 2 and all(d.get("augmented") for d in demos), path
    assert "reasoning_attempt_2" in run["program"]["classify.compare.predict"]["demos"][0]
    assert len(rows[0]["outputs"]["classify_attempts"]) == 2

    namespace: dict = {"__name__": "exported"}
    exec(compile(export_python(run["id"], db_path), "export.py", "exec"), namespace)  # noqa: S102
    exported = namespace["program"]
    assert [n for n, _ in exported.named_predictors()] == PATHS
    for path in PATHS:
        assert exported.dump_state()[path]["demos"] == run["program"][path]["demos"]
    with dspy.context(lm=_oracle_with_reasoning(built)):
        assert exported(ticket="x").category in ("billing", "technical", "shipping")
    saved = project / "program.json"
    saved.write_text(export_program_json(run["id"], db_path), encoding="utf-8")
    again = build_program(built).load(saved)
    assert again.dump_state() == run["program"]


def test_exported_multi_chain_answers_like_the_engine() -> None:
    spec = spec_from_dict(_tickets(m=3), base_dir=SAMPLES)
    namespace: dict = {"__name__": "exported"}
    exec(compile(generate_python(spec), "mcc.py", "exec"), namespace)  # noqa: S102
    engine_lm, exported_lm = (ScriptedLM(by_input=_reply, cache=True) for _ in range(2))
    with dspy.context(lm=engine_lm):
        ours = build_program(spec)(ticket="The app crashes")
    with dspy.context(lm=exported_lm):
        theirs = namespace["program"](ticket="The app crashes")
    assert ours.category == theirs.category == "technical"
    assert engine_lm.calls_made == 4
    # the exported program sends the very same 4 requests: all answered from the shared cache
    assert [h["cache_hit"] for h in exported_lm.history] == [True] * 4
