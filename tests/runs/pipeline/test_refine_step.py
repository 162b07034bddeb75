"""A step's `refine` option (BestOfN / Refine with a label-free reward): spec round trip, bad
options refused, the attempts listed on the prediction, a worker run tuning the inner predictor,
and the exported code and JSON (scripted LMs only)."""

from __future__ import annotations

from pathlib import Path

import pytest
from runs_helpers import bootstrap_through_worker
from scripted_lms import oracle_lm

import engine as dspy
from engine.core._errors import SpecError
from engine.lm import ScriptedLM
from engine.lm.scripted import input_fields
from engine.runs import load_spec
from engine.runs.export._files import export_program_json, export_python
from engine.runs.export.codegen import generate_python
from engine.runs.pipeline._program import build_program
from engine.runs.pipeline._refine import StepBestOfN, StepRefine, ValidOutputs
from engine.runs.spec._spec import spec_from_dict

SAMPLES = Path(__file__).resolve().parents[3] / "sample_data"
JUDGE = {"kind": "judge", "criteria": "Names the team that can fix the problem.", "field": None}


def _tickets(refine: dict | None = None, **changes: object) -> dict:
    spec = load_spec(SAMPLES / "support_tickets.yaml").to_dict()
    spec["pipeline"][0]["refine"] = refine if refine is not None else {}
    spec.update(changes)
    return spec


def test_refine_round_trips_and_saves_only_what_was_set() -> None:
    spec = spec_from_dict(_tickets({"mode": "refine", "n": 4}), base_dir=SAMPLES)
    saved = spec.to_dict()
    assert saved["pipeline"][0]["refine"] == {"mode": "refine", "n": 4}
    assert spec_from_dict(saved).to_dict() == saved
    default = spec_from_dict(_tickets({})).pipeline[0].refine
    assert (default.mode, default.n, default.threshold, default.reward) == (
        "best_of_n", 3, 1.0, "valid",
    )  # fmt: skip
    plain = load_spec(SAMPLES / "support_tickets.yaml").to_dict()
    assert "refine" not in plain["pipeline"][0]


@pytest.mark.parametrize(
    ("refine", "changes", "message"),
    [
        ({"n": 1}, {}, r"refine\.n: n must be from 2 to 10 attempts"),
        ({"n": 50}, {}, "n must be from 2 to 10"),
        ({"threshold": 1.5}, {}, "threshold is a reward from 0 to 1"),
        ({"mode": "vote"}, {}, r"refine\.mode: Input should be 'best_of_n' or 'refine'"),
        ({"reward": "gold"}, {}, r"refine\.reward: Input should be 'valid' or 'metric'"),
        ({"tries": 2}, {}, "unknown key"),
        ({"reward": "metric"}, {}, "'exact' compares the answer with the expected label"),
        ({"reward": "metric"}, {"metric": {"kind": "semantic_f1"}}, "would inflate|inflate"),
    ],
)
def test_bad_refine_options_are_refused(refine: dict, changes: dict, message: str) -> None:
    with pytest.raises(SpecError, match=message) as info:
        spec_from_dict(_tickets(refine, **changes))
    assert "pipeline.0.refine" in str(info.value)


def test_refine_is_refused_where_it_cannot_work() -> None:
    rag = load_spec(SAMPLES / "tidewell_rag.yaml").to_dict()
    rag["pipeline"][0]["refine"] = {}
    with pytest.raises(SpecError, match="a Retrieve step makes no LM call"):
        spec_from_dict(rag)
    rag["pipeline"][0].pop("refine")
    rag["pipeline"][1]["refine"] = {"reward": "metric"}
    rag["metric"] = dict(JUDGE)
    rag["pipeline"][1]["refine"] = {}
    spec_from_dict(rag)  # valid reward on the last step of a two-step pipeline: fine
    clash = _tickets({})
    clash["pipeline"][0]["fields"].append({"name": "classify_attempts", "role": "output"})
    with pytest.raises(SpecError, match="'classify_attempts' lists the refine attempts"):
        spec_from_dict(clash)


def test_metric_reward_is_only_for_the_last_step() -> None:
    two = _tickets(None, metric=dict(JUDGE))
    first = dict(two["pipeline"][0], name="draft", refine={"reward": "metric"})
    first["fields"] = [two["pipeline"][0]["fields"][0], {"name": "notes", "role": "output"}]
    second = dict(two["pipeline"][0])
    second["fields"] = [{"name": "notes", "role": "input"}, two["pipeline"][0]["fields"][1]]
    two["pipeline"] = [first, second]
    two["data"]["columns"] = {"ticket": "ticket", "category": "category"}
    with pytest.raises(SpecError, match="'draft' is not the last step, so use reward: valid"):
        spec_from_dict(two)


def test_valid_reward_lists_attempts_and_keeps_the_first_good_one() -> None:
    spec = load_spec(SAMPLES / "support_tickets.yaml").to_dict()
    spec["pipeline"][0]["fields"][1].update(name="summary", type="str", choices=[])
    spec["pipeline"][0]["refine"] = {"n": 3}
    spec["metric"] = {"kind": "contains", "field": "summary"}
    spec["data"]["columns"] = {"ticket": "ticket", "category": "summary"}
    program = build_program(spec_from_dict(spec, base_dir=SAMPLES))
    assert isinstance(program.classify, StepBestOfN)
    assert [n for n, _ in program.named_predictors()] == ["classify.module"]
    lm = ScriptedLM(answers=[{"summary": "  "}, {"summary": "Card charged twice."}, "unused"])
    with dspy.context(lm=lm):
        prediction = program(ticket="I was charged twice")
    assert prediction.summary == "Card charged twice." and lm.calls_made == 2
    assert prediction.classify_attempts == [
        {"outputs": {"summary": ""}, "reward": 0.0, "kept": False},
        {"outputs": {"summary": "Card charged twice."}, "reward": 1.0, "kept": True},
    ]


def test_judge_reward_never_shows_the_expected_answer() -> None:
    spec = spec_from_dict(
        _tickets({"mode": "refine", "reward": "metric", "n": 2}, metric=dict(JUDGE)),
        base_dir=SAMPLES,
    )
    judged: list[str] = []

    def reply(messages):
        text = messages[-1]["content"]
        if "Criteria:" in text:
            judged.append(text)
            return (
                "Score: 5\nReason: right team." if "technical" in text else "Score: 1\nReason: no."
            )
        if "program_code" in input_fields(text):
            return {"discussion": "d", "advice": {"module": "Think about the app."}}
        return {"category": "technical" if "hint_" in text else "billing"}

    program = build_program(spec)
    assert isinstance(program.classify, StepRefine)
    with dspy.context(lm=ScriptedLM(by_input=reply)):
        prediction = program(ticket="The app crashes when I log in")
    assert prediction.category == "technical"
    assert [a["reward"] for a in prediction.classify_attempts] == [0.0, 1.0]
    assert len(judged) == 2 and not any("Expected answer" in text for text in judged)


def test_worker_run_tunes_the_inner_predictor_and_exports(db_path: Path, project: Path) -> None:
    spec = load_spec(project / "support_tickets.yaml").to_dict()
    spec["pipeline"][0]["refine"] = {"n": 2}
    run, rows = bootstrap_through_worker(spec, project, db_path, oracle_lm)
    assert list(run["program"]) == ["classify.module"]
    demos = run["program"]["classify.module"]["demos"]
    assert len(demos) == 2 and all(d.get("augmented") for d in demos)  # traced through BestOfN
    assert run["baseline_score"] < run["best_score"] == 1.0
    attempts = rows[0]["outputs"]["classify_attempts"]
    assert attempts[0]["reward"] == 1.0 and attempts[0]["kept"]

    namespace: dict = {"__name__": "exported"}
    exec(compile(export_python(run["id"], db_path), "export.py", "exec"), namespace)  # noqa: S102
    exported = namespace["program"]
    assert isinstance(exported.classify, dspy.BestOfN)
    assert (
        exported.dump_state()["classify.module"]["demos"]
        == run["program"]["classify.module"]["demos"]
    )
    with dspy.context(lm=oracle_lm(spec_from_dict(spec, base_dir=project))):
        assert exported(ticket="x").category in ("billing", "technical", "shipping")
    saved = project / "program.json"
    saved.write_text(export_program_json(run["id"], db_path), encoding="utf-8")
    again = build_program(spec_from_dict(spec, base_dir=project)).load(saved)
    assert again.dump_state() == run["program"]


@pytest.mark.parametrize(
    "outputs", [{"category": "billing"}, {"category": "refund"}, {"category": None}, {}]
)
def test_exported_valid_reward_matches_the_engines(outputs: dict) -> None:
    spec = spec_from_dict(_tickets({}), base_dir=SAMPLES)
    namespace: dict = {"__name__": "exported"}
    exec(compile(generate_python(spec), "refine.py", "exec"), namespace)  # noqa: S102
    pred = dspy.Prediction(**outputs)
    engine_reward = ValidOutputs(spec.pipeline[0].outputs)({}, pred)
    assert namespace["classify_reward"]({}, pred) == engine_reward


@pytest.mark.parametrize("sample", ["tidewell_rag.yaml", "tidewell_agent.yaml"])
def test_refined_last_step_exports_with_the_same_paths(sample: str) -> None:
    raw = load_spec(SAMPLES / sample).to_dict()
    raw["pipeline"][-1]["refine"] = {"mode": "refine"}
    spec = spec_from_dict(raw, base_dir=SAMPLES)
    namespace: dict = {"__name__": "exported"}
    exec(compile(generate_python(spec), sample, "exec"), namespace)  # noqa: S102
    built, exported = build_program(spec), namespace["program"]
    paths = [n for n, _ in built.named_predictors()]
    assert paths == [n for n, _ in exported.named_predictors()] and ".module." in paths[-1]
    assert exported.dump_state().keys() == built.dump_state().keys()
