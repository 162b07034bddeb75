"""A stored run with `optimizer.stop_when_flat`: the worker ends it as finished, its reason
says why it stopped early, and a value out of range is refused before anything starts."""

from __future__ import annotations

from pathlib import Path

import pytest
from scripted_lms import noisy_oracle_lm

from engine.core import SpecError
from engine.runs import create_run, load_spec
from engine.runs.process.worker import run_worker
from engine.runs.spec import spec_from_dict
from engine.runs.store import RunStore


def _spec(project: Path, **optimizer) -> dict:
    spec = load_spec(project / "support_tickets.yaml").to_dict()
    spec["data"].update(train_size=8, val_size=8, test_size=4)
    params = {"num_candidate_programs": 8, "max_bootstrapped_demos": 2}
    spec["optimizer"] = {"name": "BootstrapFewShotWithRandomSearch", "params": params,
                         **optimizer}  # fmt: skip
    return spec


def _trials(db_path: Path, spec: dict, project: Path) -> tuple[dict, list[dict]]:
    run_id = create_run(spec_from_dict(spec, base_dir=project), db_path)
    assert run_worker(run_id, db_path, lm_factory=noisy_oracle_lm) == "finished"
    with RunStore(db_path) as store:
        return store.get_run(run_id), store.trials(run_id)


def test_the_run_stops_on_its_plateau_and_says_why(db_path: Path, project: Path) -> None:
    full, full_trials = _trials(db_path, _spec(project), project)
    flat, flat_trials = _trials(db_path, _spec(project, stop_when_flat=2), project)
    assert full["reason"] is None
    assert flat["status"] == "finished" and flat["reason"].startswith("stopped early: ")
    assert "did not improve in 2 scorings in a row" in flat["reason"]
    assert len(flat_trials) < len(full_trials)
    assert any(t["subset"] == "test" for t in flat_trials)  # held-out scoring still ran


@pytest.mark.parametrize("value", [0, -3, 10**9])
def test_a_window_out_of_range_is_refused(project: Path, value: int) -> None:
    with pytest.raises(SpecError, match="optimizer.stop_when_flat: Input should be"):
        spec_from_dict(_spec(project, stop_when_flat=value), base_dir=project)
