"""MIPROv2 and COPRO through the worker (scripted LM): the study in the run's folder, the
estimate on the sample spec, proposals in the store, and resume after kill -9 in each stage."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest
from runs_helpers import assert_resumed_like_reference, killed_then_resumed, subprocess_env
from scripted_lms import instruction_oracle_lm

from engine.runs import RunStore, create_run, load_spec
from engine.runs.estimate._plan import preflight
from engine.runs.process.worker import run_workdir, run_worker

MIPRO_SMALL = {
    "auto": None, "num_candidates": 3, "num_trials": 6, "minibatch_size": 8,
    "minibatch_full_eval_steps": 3, "max_bootstrapped_demos": 2, "max_labeled_demos": 2,
    "race": False,
}  # fmt: skip


# racing (on by default) makes the estimate an upper bound: these runs score every candidate
COPRO_SMALL = {"breadth": 3, "depth": 2, "race": False}


def _spec(project: Path, name: str, params: dict) -> object:
    spec = load_spec(project / "support_tickets.yaml")
    spec.optimizer.name, spec.optimizer.params = name, dict(params)
    spec.optimizer.budget.max_calls = None
    return spec


def _run(db_path: Path, spec) -> tuple[str, RunStore]:
    run_id = create_run(spec, db_path)
    assert run_worker(run_id, db_path, lm_factory=instruction_oracle_lm) == "finished"
    return run_id, RunStore(db_path)


@pytest.mark.parametrize(
    ("name", "params"),
    [("MIPROv2", {"auto": "light"}), ("MIPROv2", MIPRO_SMALL), ("COPRO", COPRO_SMALL)],
)
def test_sample_spec_runs_and_the_estimate_holds(db_path, project, name, params) -> None:
    spec = _spec(project, name, params)
    forecast = preflight(spec)["estimate"]["calls"]
    run_id, store = _run(db_path, spec)
    try:
        run = store.get_run(run_id)
        assert run["best_score"] > run["baseline_score"]
        assert run["test_best"] > run["test_baseline"]
        by_role = {c["role"] for c in store.lm_calls(run_id)}
        assert by_role == {"task", "proposer"}
        finished = next(e for e in store.events(run_id) if e["type"] == "run_finished")
        used = finished["data"]["usage"]["by_role"]  # the optimization's (not the test's)
        actual = used["task"]["calls"]
        assert abs(forecast["task"] - actual) <= 0.2 * actual, (forecast, actual)
        # the proposer's forecast is its cap: 3 draws per instruction wanted
        assert used["proposer"]["calls"] <= forecast["proposer"], (forecast, used)
        proposals = [e for e in store.events(run_id) if e["type"] == "proposals"]
        assert proposals and proposals[-1]["data"]["instructions"][0]["origin"] == "original"
        texts = {i["text"] for e in proposals for i in e["data"]["instructions"]}
        assert any("carefully" in t for t in texts)  # every candidate instruction is stored
        best = next(c for c in store.candidates(run_id) if c["hash"] == run["best_candidate"])
        if name == "COPRO":  # instructions only: the winner must be the good one
            assert "carefully" in best["state"]["classify"]["signature"]["instructions"]
    finally:
        store.close()


def test_optuna_can_load_the_runs_study(db_path, project) -> None:
    run_id, store = _run(db_path, _spec(project, "MIPROv2", MIPRO_SMALL))
    store.close()
    storage = f"sqlite:///{run_workdir(db_path, run_id) / 'optuna.db'}"
    study = optuna.load_study(study_name="mipro", storage=storage)
    searches = [t for t in study.trials if t.user_attrs.get("kind") == "search"]
    assert len(searches) == 6 and all(t.state.name == "COMPLETE" for t in searches)


def test_proposer_model_from_the_spec(db_path, project) -> None:
    spec = _spec(project, "MIPROv2", MIPRO_SMALL)
    spec.models.proposer = type(spec.models.task)(model="local/no-such-model")
    run_id = create_run(spec, db_path)
    assert run_worker(run_id, db_path, lm_factory=instruction_oracle_lm) == "failed"
    with RunStore(db_path) as store:
        run = store.get_run(run_id)
        assert "no-such-model" in run["reason"] and not store.lm_calls(run_id)


def _in_phase(store: RunStore, run_id: str, name: str, detail: str = "") -> bool:
    phases = [e["data"] for e in store.events(run_id) if e["type"] == "phase"]
    return bool(phases) and phases[-1]["name"] == name and detail in phases[-1]["detail"]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("phase", "detail"),
    [("bootstrapping demos", ""), ("proposing instructions", ""), ("searching", "trial 3")],
)
def test_kill_9_in_each_stage_then_resume(db_path, project, tmp_path, phase, detail) -> None:
    spec = _spec(project, "MIPROv2", MIPRO_SMALL)
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
        return _in_phase(store, run_id, phase, detail)

    with killed_then_resumed(run_id, db_path, env, ready, f"phase {phase}") as store:
        assert_resumed_like_reference(store, run_id, ref_trials, ref_run, call_log)
        storage = f"sqlite:///{run_workdir(db_path, run_id) / 'optuna.db'}"
        study = optuna.load_study(study_name="mipro", storage=storage)
        kinds = [t.user_attrs.get("kind") for t in study.trials if t.state.name == "COMPLETE"]
        assert kinds.count("search") == 6 and kinds.count("default") == 1


@pytest.mark.parametrize("train_size", [1, 2])
def test_auto_with_one_or_two_examples_tunes_the_instruction_alone(
    db_path, project, train_size
) -> None:
    spec = load_spec(project / "support_tickets.yaml")
    spec.data.train_size = train_size
    spec.optimizer.budget.max_calls = None
    run_id, store = _run(db_path, spec)
    try:
        run = store.get_run(run_id)
        assert run["optimizer"] == "MIPROv2" and "zero-shot" in run["optimizer_reason"]
        best = next(c for c in store.candidates(run_id) if c["hash"] == run["best_candidate"])
        assert best["state"]["classify"]["demos"] == []
        assert "carefully" in best["state"]["classify"]["signature"]["instructions"]
        assert run["test_best"] > run["test_baseline"]
    finally:
        store.close()
