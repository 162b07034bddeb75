"""The early-stop replay (bench/studies/stop_replay.py) says what a live run with the rule on
does: the same stop, the same program handed back, the same held-out answers and calls, on
scripted runs of the worker (a wait, and an out-of-reach chance)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "runs"))
from runs_fixtures import project  # noqa: E402, F401
from scripted_lms import spread_oracle_lm  # noqa: E402

from bench.studies.stop_replay import replay, run_trials, walk  # noqa: E402
from engine.runs import create_run, load_spec  # noqa: E402
from engine.runs.process.worker import run_worker  # noqa: E402
from engine.runs.results import leaderboard  # noqa: E402
from engine.runs.spec import spec_from_dict  # noqa: E402
from engine.runs.store import RunStore  # noqa: E402


def _run(folder: Path, tickets: Path, race: bool, **optimizer) -> Path:
    spec = load_spec(tickets / "support_tickets.yaml").to_dict()
    spec["data"].update(train_size=8, val_size=16, test_size=4)
    params = {"num_candidate_programs": 30, "max_bootstrapped_demos": 2, "race": race,
              "num_threads": 1, "close_enough": None, "spend_share": None}  # fmt: skip
    spec["optimizer"] = {"name": "BootstrapFewShotWithRandomSearch", "params": params,
                         "budget": {"max_calls": 300}, **optimizer}  # fmt: skip
    db = folder / "runs.db"
    run_worker(create_run(spec_from_dict(spec, base_dir=tickets), db), db,
               lm_factory=spread_oracle_lm)  # fmt: skip
    return db


def _scripted_score(run_id: str, db: Path, candidate: str) -> tuple[int, int]:
    (standing,) = leaderboard(run_id, [], db_path=db, candidate=candidate,
                              lm_factory=spread_oracle_lm)  # fmt: skip
    return round(standing.score * standing.n), standing.n


def _live(db: Path) -> dict:
    with RunStore(db) as store:
        (run,) = store.list_runs()
        run, usage = store.get_run(run["id"]), store.usage(run["id"])
        trials, _ = run_trials(store, run["id"])
    searched = [t for t in trials if t.subset != "test"]
    return {"calls": usage["calls"] - usage["cache_hits"], "scorings": len(searched),
            "right": round(run["test_best"] * run["sizes"]["test"]), "status": run["status"],
            "reason": run["reason"] or ""}  # fmt: skip


@pytest.mark.parametrize(("race", "setting", "rule", "words"), [
    (True, {"stop_when_flat": 3}, {"waits": [3], "chances": []}, "did not improve in 3"),
    (False, {"stop_when_out_of_reach": 0.05}, {"waits": [], "chances": [0.05]}, "chance of"),
])  # fmt: skip
def test_the_replay_of_a_full_run_says_what_the_live_run_with_the_rule_did(
    tmp_path: Path, project: Path, race: bool, setting: dict, rule: dict, words: str  # noqa: F811
) -> None:
    full = _run(tmp_path / "full", project, race)
    live = _live(_run(tmp_path / "live", project, race, **setting))
    as_run, replayed = replay(full, score=_scripted_score, **rule)
    assert live["status"] == "finished" and words in live["reason"], live  # the rule fired
    assert as_run["setting"] == "as run" and as_run["stopped_at"] is None
    assert as_run["calls"] == _live(full)["calls"] > live["calls"]
    assert replayed["stopped_at"] == live["scorings"]
    assert (replayed["calls"], replayed["right"]) == (live["calls"], live["right"])


def test_a_run_without_a_validation_scoring_is_refused() -> None:
    with pytest.raises(ValueError, match="no validation scoring"):
        walk([], [], 100, "worse", wait=2)
