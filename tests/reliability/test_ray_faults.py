"""A run's rows on Ray actors when one actor is killed (kill -9) mid-row: its row is scored
again on another actor, nothing is lost or scored twice, and the run ends as it would have
in one process. On the session's local Ray cluster (`local_ray`)."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest
from reliability_log import record

from engine.runs import RunStore, create_run, load_spec
from engine.runs.ray_pool import LOST_WORDS
from engine.runs.worker import run_worker

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT / "tests" / "runs") not in sys.path:
    sys.path.insert(0, str(ROOT / "tests" / "runs"))

import scripted_lms  # noqa: E402

pytestmark = pytest.mark.ray


def _wait_for(path: Path, seconds: float, alive: threading.Thread) -> None:
    deadline = time.time() + seconds
    while not path.exists() and time.time() < deadline and alive.is_alive():
        time.sleep(0.05)
    assert path.exists(), "no actor reached the row that stalls"


def test_an_actor_killed_mid_row_loses_nothing_and_scores_nothing_twice(
    tmp_path: Path, monkeypatch, local_ray
) -> None:
    spec = load_spec(ROOT / "sample_data" / "support_tickets.yaml")
    spec.optimizer.params = {"race": False}
    # the reference: one process, the same LM (it stalls only inside a Ray actor)
    monkeypatch.setenv("TUNESMITH_TEST_CALL_LOG", str(tmp_path / "alone.log"))
    alone = tmp_path / "alone.db"
    ref_id = create_run(spec, alone)
    assert run_worker(ref_id, alone, lm_factory=scripted_lms.stalling_oracle_lm) == "finished"

    monkeypatch.setenv("TUNESMITH_RAY", local_ray)
    monkeypatch.setenv("TUNESMITH_RAY_ACTORS", "2")
    monkeypatch.setenv("TUNESMITH_RAY_ACTOR_CPUS", "0.5")
    stall = tmp_path / "stalled.pid"
    monkeypatch.setenv("TUNESMITH_TEST_STALL_FILE", str(stall))
    calls_log = tmp_path / "spread.log"
    monkeypatch.setenv("TUNESMITH_TEST_CALL_LOG", str(calls_log))
    db = tmp_path / "spread.db"
    run_id = create_run(spec, db)
    outcome: list[str] = []
    worker = threading.Thread(
        target=lambda: outcome.append(
            run_worker(run_id, db, lm_factory=scripted_lms.stalling_oracle_lm)
        )
    )
    worker.start()
    _wait_for(stall, 120, worker)
    os.kill(int(stall.read_text()), signal.SIGKILL)  # the actor, mid-row
    worker.join(timeout=240)
    assert not worker.is_alive()

    with RunStore(alone) as store:
        ref_trials = [(t["candidate"], t["subset"], t["score"]) for t in store.trials(ref_id)]
        ref_rows = store.known_results(ref_id)
        ref_calls = store.usage(ref_id)["uncached_calls"]
    with RunStore(db) as store:
        run = store.get_run(run_id)
        trials = [(t["candidate"], t["subset"], t["score"]) for t in store.trials(run_id)]
        rows = store.known_results(run_id)
        calls = store.usage(run_id)["uncached_calls"]
        warnings = [e["data"]["message"] for e in store.events(run_id)
                    if e["type"] == "log" and e["data"].get("level") == "warning"]  # fmt: skip
    assert outcome == ["finished"], run["reason"]
    assert trials == ref_trials  # the same trials, in the same order, none twice
    assert {k: (r["score"], r["outputs"]) for k, r in rows.items()} == {
        k: (r["score"], r["outputs"]) for k, r in ref_rows.items()
    }  # every row scored, the killed one's included
    # every call that finished is stored once; the killed actor's call never finished
    assert calls == ref_calls == len(calls_log.read_text().splitlines())
    assert warnings == [LOST_WORDS]
    record("crash", optimizer="any (rows on 2 Ray actors)", phase="an actor killed mid-row",
           ok=True, trials_before=len(trials), trials_after=len(trials))  # fmt: skip
