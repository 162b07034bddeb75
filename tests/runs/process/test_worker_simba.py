"""SIMBA through the worker on the sample spec (scripted LM whose answers depend on the
rollout): the estimate holds, every step is stored as an event, and a run killed with kill -9
mid-search resumes to the same trials and result."""

from __future__ import annotations

from pathlib import Path

import pytest
from runs_helpers import assert_resumed_like_reference, killed_then_resumed, subprocess_env
from simba_worker_lms import RULE, rollout_oracle_lm

from engine.runs import RunStore, create_run, load_spec
from engine.runs.estimate._plan import preflight
from engine.runs.process.worker import run_worker

SIMBA_SMALL = {"bsize": 8, "num_candidates": 3, "max_steps": 4, "max_demos": 2}


def _spec(project: Path, params: dict | None = None) -> object:
    spec = load_spec(project / "support_tickets.yaml")
    spec.optimizer.name, spec.optimizer.params = "SIMBA", dict(params or SIMBA_SMALL)
    spec.optimizer.budget.max_calls = None
    return spec


def _events(store: RunStore, run_id: str, kind: str) -> list[dict]:
    return [e["data"] for e in store.events(run_id) if e["type"] == kind]


def test_sample_spec_runs_and_the_estimate_holds(db_path, project) -> None:
    spec = _spec(project)
    forecast = preflight(spec)["estimate"]
    run_id = create_run(spec, db_path)
    assert run_worker(run_id, db_path, lm_factory=rollout_oracle_lm) == "finished"
    with RunStore(db_path) as store:
        run = store.get_run(run_id)
        assert run["optimizer"] == "SIMBA"
        assert run["best_score"] >= run["baseline_score"]
        finished = _events(store, run_id, "run_finished")[0]
        for role in ("task", "proposer"):  # the optimization's calls (not the test scoring)
            actual = finished["usage"]["by_role"][role]["calls"]
            assert abs(forecast["calls"][role] - actual) <= 0.2 * actual, (role, forecast, actual)
        trials = [t for t in store.trials(run_id) if t["subset"] != "test"]
        assert abs(forecast["trials"] - len(trials)) <= 0.2 * len(trials)
        steps = _events(store, run_id, "simba_step")
        assert [s["step"] for s in steps] == [1, 2, 3, 4]
        rules = [a for s in steps for a in s["added"] if a["strategy"] == "rule"]
        assert rules and all(a["text"].endswith(RULE.split("'")[-1]) for a in rules)
        hashes = {c["hash"] for c in store.candidates(run_id)}
        assert {a["candidate"] for s in steps for a in s["added"]} <= hashes


def _in_step(store: RunStore, run_id: str, step: int) -> bool:
    phases = _events(store, run_id, "phase")
    return bool(phases) and phases[-1]["detail"].startswith(f"step {step} of")


@pytest.mark.slow
def test_kill_9_mid_search_then_resume(db_path, project, tmp_path) -> None:
    spec = _spec(project)
    reference_db = tmp_path / "reference" / "runs.db"
    ref_id = create_run(spec, reference_db)
    assert run_worker(ref_id, reference_db, lm_factory=rollout_oracle_lm) == "finished"
    with RunStore(reference_db) as reference:
        ref_trials, ref_run = reference.trials(ref_id), reference.get_run(ref_id)
        ref_steps = _events(reference, ref_id, "simba_step")

    run_id = create_run(spec, db_path)
    call_log = tmp_path / "calls.log"
    env = subprocess_env(
        TUNESMITH_TEST_LM="simba_worker_lms:slow_rollout_oracle_lm",
        TUNESMITH_TEST_LATENCY="0.01",
        TUNESMITH_TEST_CALL_LOG=str(call_log),
    )

    def ready(store: RunStore) -> bool:
        return _in_step(store, run_id, 3)

    with killed_then_resumed(run_id, db_path, env, ready, "step 3", settle=0.15) as store:
        assert_resumed_like_reference(store, run_id, ref_trials, ref_run, call_log)
        steps = _events(store, run_id, "simba_step")
        assert [s["step"] for s in steps] == [1, 2, 3, 4]  # each step announced once
        assert [s["added"] for s in steps] == [s["added"] for s in ref_steps]
