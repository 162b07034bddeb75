"""A run's outcome (issue 40 item 2): the held-out verdict leads, and what the kept program
changed is named: a rewrite, choice calibration only, or the start kept."""

from __future__ import annotations

import copy
from pathlib import Path

from scripted_lms import oracle_lm

from engine.runs import create_run, run_outcome
from engine.runs.process.worker import run_worker
from engine.runs.results import outcome_of
from engine.runs.store._store import RunStore

START = {"classify": {"signature": {"instructions": "Route it."}, "demos": [], "lm": None}}


def _state(instructions: str = "Route it.", demos: list | None = None, offsets=None) -> dict:
    state = copy.deepcopy(START)
    part = state["classify"]
    part["signature"]["instructions"], part["demos"] = instructions, demos or []
    if offsets:
        part["choice_offsets"] = offsets
    return state


def _run(program: dict, best: str = "b", **extra) -> tuple[dict, list[dict]]:
    cands = [
        {"hash": "s", "origin": "baseline (student as given)", "state": START, "parents": []},
        {"hash": "b", "origin": "choice calibration", "state": program, "parents": ["s"]},
    ]
    return {"best_candidate": best, "program": program, **extra}, cands


def test_what_changed_rewrite_calibration_or_start() -> None:
    assert outcome_of(*_run(_state("Route it to a team."))).change == "tuned"
    assert outcome_of(*_run(_state(demos=[{"ticket": "t", "category": "billing"}]))).change == (
        "tuned"
    )
    calibrated = outcome_of(*_run(_state(offsets={"category": {"billing": 0.4}})))
    assert calibrated.change == "calibration"
    assert "The change is choice calibration only" in calibrated.change_text
    kept = outcome_of(*_run(START, best="s"), ["no clear gain on validation: kept the "
                                               "starting program"])  # fmt: skip
    assert kept.change == "start kept"
    assert kept.change_text == (
        "The start was kept: the result is your prompt as given. No clear gain on validation."
    )
    assert outcome_of({"best_candidate": "x"}, []).change == "unknown"
    assert outcome_of({"best_candidate": "x"}, []).change_text is None


def test_the_headline_leads_with_the_held_out_verdict() -> None:
    comp = {"diff": -0.07, "ci_low": -0.2, "ci_high": -0.01, "n": 30}
    scores = {"baseline_score": 0.5, "best_score": 0.6, "test_baseline": 0.53, "test_best": 0.46}
    run, cands = _run(_state(offsets={"category": {"billing": 0.4}}), **scores, comparison=comp)
    said = outcome_of(run, cands)
    assert said.kind == "loss"  # +10 on validation, -7 on the held-out rows
    assert said.headline == (
        "Held-out test (30 rows the optimizer never saw): 53% → 46%, clear loss: -7 points "
        "(95% range -20 to -1 points)"
    )
    run.update(test_best=None, comparison=None)
    none = outcome_of(run, cands)
    assert none.kind == "no test" and none.headline.startswith("No held-out test:")
    assert "validation rows, which the optimizer used to choose" in none.headline
    assert "50% → 60%" in none.headline


def test_run_outcome_reads_a_real_run(db_path: Path, tickets_spec) -> None:
    tickets_spec.data.train_size = tickets_spec.data.val_size = tickets_spec.data.test_size = 6
    tickets_spec.optimizer.name = "BootstrapFewShot"
    run_id = create_run(tickets_spec, db_path)
    assert run_worker(run_id, db_path, lm_factory=oracle_lm) == "finished"
    said = run_outcome(run_id, db_path)
    assert said.kind == "gain" and said.change == "tuned" and said.verdict.n == 6
    with RunStore(db_path) as store:
        log = [e["data"]["message"] for e in store.events(run_id, types=["log"])]
    test_line = next(m for m in log if m.startswith("test: "))
    assert test_line.startswith("test: start ") and "clear gain: +" in test_line
    assert "significant" not in " ".join(log)


def test_the_gain_reads_as_the_difference_of_the_two_percentages_beside_it() -> None:
    from engine.evaluate.statistics import verdict
    from engine.runs.results import Outcome, percent

    assert (percent(0.575), percent(0.8), percent(0.125), percent(None)) == (
        "58%", "80%", "13%", "—")  # fmt: skip
    said = verdict({"diff": 0.225, "ci_low": 0.05, "ci_high": 0.4, "n": 40})
    outcome = Outcome(said, 0.575, 0.8, 0.5, 0.9, "tuned", test_rows=40)
    assert "58% → 80%, clear gain: +22 points (95% range +5 to +40 points)" in outcome.headline


def test_the_same_prompt_twice_has_no_range_to_give() -> None:
    from engine.evaluate.statistics import verdict
    from engine.runs.results import Outcome

    same = verdict({"diff": 0.0, "ci_low": 0.0, "ci_high": 0.0, "n": 20})
    kept = Outcome(same, 0.55, 0.55, 0.6, 0.6, "start kept", test_rows=20)
    assert kept.headline.endswith("55% → 55%: the same prompt both times, so the same answers")
    assert "range" not in kept.headline
