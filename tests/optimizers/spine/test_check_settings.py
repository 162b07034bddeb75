"""`Optimizer.check_settings`: what compile would refuse for these data sizes, said before a run
starts (the pre-flight, the Optimize page) and refused by the worker before any LM call."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import Example
from engine.optimizers import registry
from engine.optimizers.gepa import GEPA
from engine.optimizers.mipro import MIPROv2
from engine.runs import load_spec
from engine.runs.estimate._plan import preflight

SAMPLE = Path(__file__).resolve().parents[3] / "sample_data"


def exact(gold, pred, trace=None, pred_name=None, pred_trace=None) -> float:
    return float(gold.answer == pred.answer)


def rows(n: int) -> list[Example]:
    return [Example(question=f"q{i}", answer=f"a{i}").with_inputs("question") for i in range(n)]


def test_the_default_refuses_nothing() -> None:
    entry = registry.get("LabeledFewShot")
    assert entry.factory(metric=exact).check_settings(rows(4), rows(4)) == []


def test_gepa_needs_runs_for_one_scoring_of_the_validation_rows() -> None:
    problems = GEPA(metric=exact, max_metric_calls=10).check_settings(rows(5), rows(30))
    assert len(problems) == 1
    assert "GEPA may spend 10 program runs (`max_metric_calls`)" in problems[0]
    assert "at least 30 program runs" in problems[0]
    assert GEPA(metric=exact, max_metric_calls=30).check_settings(rows(5), rows(30)) == []
    assert GEPA(metric=exact, auto="light").check_settings(rows(5), rows(30)) == []
    no_val = GEPA(metric=exact, max_metric_calls=8).check_settings(rows(9))  # the trainset scores
    assert "9 validation rows" in no_val[0]


def test_gepa_check_matches_what_compile_refuses() -> None:
    gepa = GEPA(metric=exact, max_metric_calls=8)
    assert gepa.check_settings(rows(9)) != []
    with pytest.raises(ValueError, match="smaller than one evaluation"):
        gepa.compile(build_program_stub(), trainset=rows(9))


def build_program_stub():
    from engine import Predict

    return Predict("question -> answer")


def test_mipro_minibatch_larger_than_the_validation_rows() -> None:
    mipro = MIPROv2(metric=exact, auto=None, num_candidates=2, num_trials=2, minibatch_size=50)
    problems = mipro.check_settings(rows(10), rows(40))
    assert (
        len(problems) == 1 and "minibatch_size=50 is larger than the validation set" in problems[0]
    )
    assert MIPROv2(metric=exact).check_settings(rows(10), rows(40)) == []


def _gepa_spec(runs: int):
    spec = load_spec(SAMPLE / "support_tickets.yaml").to_dict()
    spec["data"].update(train_size=6, val_size=12, test_size=4)
    spec["optimizer"] = {"name": "GEPA", "params": {"max_metric_calls": runs}}
    from engine.runs import spec_from_dict

    return spec_from_dict(spec, SAMPLE)


def test_preflight_lists_the_problems_without_a_forecast() -> None:
    plan = preflight(_gepa_spec(10))
    assert plan["problems"] and "at least 12 program runs" in plan["problems"][0]
    assert plan["estimate"]["total_calls"] == 0 and plan["pilot"] is None
    assert preflight(_gepa_spec(40))["problems"] == []


def test_the_worker_refuses_before_any_lm_call(tmp_path: Path) -> None:
    from engine.lm.scripted import ScriptedLM
    from engine.runs import create_run, get_run
    from engine.runs.process.worker import run_worker

    db = tmp_path / "runs.db"
    run_id = create_run(_gepa_spec(10), db)
    lm = ScriptedLM(answers=["billing"], cycle=True)
    assert run_worker(run_id, db, lm_factory=lambda spec: lm) == "failed"
    run = get_run(run_id, db_path=db)
    assert run["reason"].startswith("SpecError: optimizer.params: GEPA may spend 10 program runs")
    assert lm.calls_made == 0 and not run.get("traceback")
