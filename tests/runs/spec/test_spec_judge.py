"""LLM-judged metrics in specs: validation, the judge model, and a worker run with a judge."""

from __future__ import annotations

from pathlib import Path

import pytest
from scripted_lms import oracle_lm

from engine.core._errors import SpecError
from engine.evaluate.judge import SYSTEM as JUDGE_SYSTEM
from engine.lm import ScriptedLM
from engine.runs import RunStore, build_metric, create_run, spec_from_dict
from engine.runs.estimate._plan import preflight
from engine.runs.process.worker import run_worker


def _with_metric(spec, metric: dict, **extra):
    return spec_from_dict({**spec.to_dict(), "metric": metric, **extra}, spec.base_dir)


@pytest.mark.parametrize(
    "metric, message",
    [
        ({"kind": "judge"}, "metric.criteria: an LLM judge needs criteria"),
        ({"kind": "judge", "criteria": "  "}, "metric.criteria: an LLM judge needs criteria"),
        ({"kind": "judge", "criteria": "ok", "scale": "huge"}, "metric.scale: scale 'huge'"),
        ({"kind": "judge", "criteria": "ok", "scale": "5-1"}, "metric.scale: scale '5-1'"),
        ({"kind": "exact", "criteria": "ok"}, "criteria are only used by kind judge"),
        ({"kind": "f1", "scale": "1-5"}, "scale is only used by kind judge"),
        ({"kind": "bleu"}, "judge, semantic_f1"),
    ],
)
def test_judge_spec_errors_name_the_field(tickets_spec, metric, message) -> None:
    with pytest.raises(SpecError) as info:
        _with_metric(tickets_spec, metric)
    assert message in str(info.value)


def test_judge_spec_round_trip_and_scales(tickets_spec) -> None:
    spec = _with_metric(
        tickets_spec, {"kind": "judge", "criteria": " Right team. ", "scale": [0, 10]}
    )
    assert spec.to_dict()["metric"] == {
        "kind": "judge", "field": None, "params": {}, "criteria": "Right team.", "scale": "0-10"
    }  # fmt: skip
    assert "criteria" not in tickets_spec.to_dict()["metric"]  # other kinds are unchanged
    assert spec_from_dict(spec.to_dict(), spec.base_dir).to_dict() == spec.to_dict()
    metric = build_metric(spec)
    assert metric.criteria == "Right team." and metric.scale.to_spec() == "0-10"
    assert metric.field == "category" and metric.lm is None  # None: the task model judges
    passfail = build_metric(_with_metric(tickets_spec, {"kind": "judge", "criteria": "x",
                                                        "scale": "pass/fail"}))  # fmt: skip
    assert passfail.scale.binary


def test_models_judge_is_the_judge_lm(tickets_spec) -> None:
    spec = _with_metric(
        tickets_spec,
        {"kind": "judge", "criteria": "Right team."},
        models={"task": {"model": "local/smollm2-135m"}, "judge": {"model": "openai/gpt-4o-mini"}},
    )
    assert build_metric(spec).lm.model == "openai/gpt-4o-mini"
    given = ScriptedLM(answers=["Score: 5"])
    assert build_metric(spec, judge_lm=given).lm is given
    semantic = build_metric(_with_metric(tickets_spec, {"kind": "semantic_f1"}))
    assert semantic.field == "category" and semantic.lm is None


def judging_oracle(spec) -> ScriptedLM:
    """The oracle for task calls; as a judge, "4/5" for every answer."""
    task = oracle_lm(spec).by_input

    def answer(messages):
        if messages[0]["content"] == JUDGE_SYSTEM:
            return "Score: 4\nReason: plausible team."
        return task(messages)

    return ScriptedLM(by_input=answer, name="judging-oracle")


def test_a_worker_run_with_a_judge_metric(db_path: Path, tickets_spec) -> None:
    spec = _with_metric(
        tickets_spec,
        {"kind": "judge", "criteria": "Routes the ticket to the right team."},
        optimizer={"name": "LabeledFewShot"},
    )
    plan = preflight(spec)
    forecast = plan["estimate"]["calls"]
    assert forecast["judge"] == forecast["task"] > 0
    assert plan["estimate"]["total_calls"] == forecast["task"] + forecast["judge"]
    run_id = create_run(spec, db_path)
    assert run_worker(run_id, db_path, lm_factory=judging_oracle) == "finished"
    with RunStore(db_path) as store:
        results = store.example_results(run_id, subset="val")
        assert results and all(r["score"] == 0.75 for r in results)
        assert all(r["feedback"] == "4/5: plausible team." for r in results)
        roles = store.usage(run_id)["by_role"]
        assert roles["judge"]["calls"] == roles["task"]["calls"] > 0
        searched = roles["judge"]["calls"] - plan["test_calls"] // 2  # without the test scoring
        assert abs(searched - forecast["judge"]) <= 0.2 * forecast["judge"]
