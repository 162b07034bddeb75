"""A stored run with `optimizer.stop_when_out_of_reach`: the worker ends it as finished before
its call budget does, its reason says why, and a chance out of range is refused before any run
is stored."""

from __future__ import annotations

from pathlib import Path

import pytest
from scripted_lms import spread_oracle_lm

from engine.core import SpecError
from engine.runs import create_run, load_spec
from engine.runs.process.worker import run_worker
from engine.runs.spec import spec_from_dict
from engine.runs.store import RunStore


def _spec(project: Path, **optimizer) -> dict:
    spec = load_spec(project / "support_tickets.yaml").to_dict()
    spec["data"].update(train_size=8, val_size=16, test_size=4)
    params = {"num_candidate_programs": 30, "max_bootstrapped_demos": 2, "race": False}
    spec["optimizer"] = {"name": "BootstrapFewShotWithRandomSearch", "params": params,
                         "budget": {"max_calls": 300}, **optimizer}  # fmt: skip
    return spec


def _run(db_path: Path, spec: dict, project: Path) -> tuple[dict, list[dict]]:
    run_id = create_run(spec_from_dict(spec, base_dir=project), db_path)
    run_worker(run_id, db_path, lm_factory=spread_oracle_lm)
    with RunStore(db_path) as store:
        return store.get_run(run_id), store.trials(run_id)


def test_the_run_stops_once_its_best_is_out_of_reach_and_says_why(
    db_path: Path, project: Path
) -> None:
    spent, spent_trials = _run(db_path, _spec(project), project)
    early, early_trials = _run(db_path, _spec(project, stop_when_out_of_reach=0.05), project)
    assert spent["status"] == "stopped: budget"
    assert early["status"] == "finished" and early["reason"].startswith("stopped early: about ")
    assert "chance of beating the best validation score" in early["reason"]
    assert "given the spread of the " in early["reason"]
    assert len(early_trials) < len(spent_trials)
    assert any(t["subset"] == "test" for t in early_trials)  # held-out scoring still ran


@pytest.mark.parametrize("value", [0, -0.1, 0.5, 0.9, "often"])
def test_a_chance_out_of_range_is_refused_and_no_run_is_stored(
    db_path: Path, project: Path, value: object
) -> None:
    with pytest.raises(SpecError, match="optimizer.stop_when_out_of_reach: "):
        create_run(spec_from_dict(_spec(project, stop_when_out_of_reach=value),
                                  base_dir=project), db_path)  # fmt: skip
    with RunStore(db_path) as store:
        assert store.list_runs() == []


def test_the_refusal_says_what_a_chance_is(project: Path) -> None:
    words = r"must be a chance above 0 and below 0.5 \(0.05 is 5%\), got 0.7"
    with pytest.raises(SpecError, match=words):
        spec_from_dict(_spec(project, stop_when_out_of_reach=0.7), base_dir=project)
