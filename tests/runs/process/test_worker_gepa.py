"""GEPA through the worker (scripted LM): the sample spec, the reflection LM from the spec's
proposer model, reflections in the store, and resume after kill -9 mid-search."""

from __future__ import annotations

from pathlib import Path

import pytest
from runs_helpers import assert_resumed_like_reference, killed_then_resumed, subprocess_env
from scripted_lms import REFLECTED, instruction_oracle_lm

from engine.runs import RunStore, create_run, load_spec
from engine.runs.process.worker import run_worker

GEPA_SMALL = {"max_metric_calls": 120, "reflection_minibatch_size": 3}


def _spec(project: Path, params: dict | None = None) -> object:
    spec = load_spec(project / "support_tickets.yaml")
    spec.optimizer.name, spec.optimizer.params = "GEPA", dict(params or GEPA_SMALL)
    spec.optimizer.budget.max_calls = None
    return spec


def _run(db_path: Path, spec) -> tuple[str, RunStore]:
    run_id = create_run(spec, db_path)
    assert run_worker(run_id, db_path, lm_factory=instruction_oracle_lm) == "finished"
    return run_id, RunStore(db_path)


def test_gepa_runs_the_sample_spec_within_its_metric_call_budget(db_path, project) -> None:
    run_id, store = _run(db_path, _spec(project))
    try:
        run = store.get_run(run_id)
        assert run["optimizer"] == "GEPA"
        assert run["best_score"] > run["baseline_score"] and run["test_best"] > run["test_baseline"]
        best = next(c for c in store.candidates(run_id) if c["hash"] == run["best_candidate"])
        assert best["state"]["classify"]["signature"]["instructions"] == REFLECTED
        reflections = [e["data"] for e in store.events(run_id) if e["type"] == "reflection"]
        assert reflections and any(r["accepted"] for r in reflections)
        assert all(r["metric_calls"] <= 120 for r in reflections)
        pairs = {(t["candidate"], ex) for t in store.trials(run_id) if t["subset"] != "test"
                 for ex in t["example_scores"]}  # fmt: skip
        assert len(pairs) <= 120
        roles = {c["role"] for c in store.lm_calls(run_id)}
        assert roles == {"task", "proposer"}
    finally:
        store.close()


def test_the_spec_proposer_model_is_the_reflection_lm(db_path, project) -> None:
    spec = _spec(project)
    spec.models.proposer = type(spec.models.task)(model="local/no-such-model")
    run_id = create_run(spec, db_path)
    assert run_worker(run_id, db_path, lm_factory=instruction_oracle_lm) == "failed"
    with RunStore(db_path) as store:
        run = store.get_run(run_id)
        assert "no-such-model" in run["reason"] and not store.lm_calls(run_id)


def _iteration(store: RunStore, run_id: str, at_least: int) -> bool:
    phases = [e["data"] for e in store.events(run_id) if e["type"] == "phase"]
    if not phases or phases[-1]["name"] != "reflective search":
        return False
    return int(phases[-1]["detail"].split(":")[0].split()[-1]) >= at_least


@pytest.mark.slow
def test_kill_9_mid_search_then_resume(db_path, project, tmp_path) -> None:
    spec = _spec(project, {"max_metric_calls": 150, "reflection_minibatch_size": 3})
    ref_id, reference = _run(tmp_path / "reference" / "runs.db", spec)
    ref_trials = reference.trials(ref_id)
    ref_run = reference.get_run(ref_id)
    reference.close()

    run_id = create_run(spec, db_path)
    call_log = tmp_path / "calls.log"
    env = subprocess_env(
        TUNESMITH_TEST_LM="scripted_lms:slow_instruction_oracle_lm",
        TUNESMITH_TEST_LATENCY="0.03",
        TUNESMITH_TEST_CALL_LOG=str(call_log),
    )

    def ready(store: RunStore) -> bool:
        return _iteration(store, run_id, 2)

    with killed_then_resumed(run_id, db_path, env, ready, "GEPA iteration 2") as store:
        assert_resumed_like_reference(store, run_id, ref_trials, ref_run, call_log)
        iterations = [e["data"]["iteration"] for e in store.events(run_id)
                      if e["type"] == "reflection"]  # fmt: skip
        assert sorted(set(iterations)) == list(range(1, max(iterations) + 1))
