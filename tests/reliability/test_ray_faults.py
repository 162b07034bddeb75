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
from engine.settings import settings

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT / "tests" / "runs") not in sys.path:
    sys.path.insert(0, str(ROOT / "tests" / "runs"))

import scripted_lms  # noqa: E402
from runs_helpers import killed_then_resumed, subprocess_env  # noqa: E402

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
    assert [r["error"] for r in rows.values() if r["error"]] == []  # no row failed for the kill
    assert trials == ref_trials  # the same trials, in the same order, none twice
    assert {k: (r["score"], r["outputs"]) for k, r in rows.items()} == {
        k: (r["score"], r["outputs"]) for k, r in ref_rows.items()
    }  # every row scored, the killed one's included
    # each row's calls are stored once, from the actor that finished it: as many as in one
    # process. Calls the killed actor had finished for its other rows in flight never came
    # back (those rows were scored again elsewhere): at most one per row it had in flight.
    assert calls == ref_calls
    assert 0 <= len(calls_log.read_text().splitlines()) - calls <= settings.num_threads
    assert warnings == [LOST_WORDS]
    record("crash", optimizer="any (rows on 2 Ray actors)", phase="an actor killed mid-row",
           ok=True, trials_before=len(trials), trials_after=len(trials))  # fmt: skip


def test_the_worker_lost_with_its_actors_resumes_from_the_store(
    tmp_path: Path, local_ray
) -> None:
    """The machine that ran the worker (the Ray driver) is lost: kill -9 of the worker takes
    its actors and keeper with it. The run is started again (here on the same cluster) and
    resumes from the store like an uninterrupted run; a lost head node ends the same way."""
    spec = load_spec(ROOT / "sample_data" / "support_tickets.yaml")
    spec.optimizer.params = {"race": False}
    reference = tmp_path / "reference.db"
    ref_id = create_run(spec, reference)
    assert run_worker(ref_id, reference, lm_factory=scripted_lms.oracle_lm) == "finished"
    with RunStore(reference) as store:
        ref_trials, ref_run = store.trials(ref_id), store.get_run(ref_id)

    db = tmp_path / "runs.db"
    run_id = create_run(spec, db)
    call_log = tmp_path / "calls.log"
    env = subprocess_env(
        TUNESMITH_TEST_LM="scripted_lms:slow_oracle_lm", TUNESMITH_TEST_LATENCY="0.03",
        TUNESMITH_TEST_CALL_LOG=str(call_log), TUNESMITH_RAY=local_ray,
        TUNESMITH_RAY_ACTORS="2", TUNESMITH_RAY_ACTOR_CPUS="0.5",
    )  # fmt: skip
    ready = lambda store: len(store.trials(run_id)) >= 4  # noqa: E731
    with killed_then_resumed(run_id, db, env, ready, "4 stored trials") as store:
        run, trials = store.get_run(run_id), store.trials(run_id)
        stored = sum(1 for c in store.lm_calls(run_id) if not c["cache_hit"])
    assert run["status"] == "finished" and run["attempts"] == 2
    assert [t["number"] for t in trials] == list(range(1, len(trials) + 1))
    assert [(t["candidate"], t["subset"], t["score"]) for t in trials] == [
        (t["candidate"], t["subset"], t["score"]) for t in ref_trials
    ]  # nothing scored twice, nothing lost: the uninterrupted run's trials
    assert (run["best_candidate"], run["test_best"]) == (
        ref_run["best_candidate"], ref_run["test_best"]
    )  # fmt: skip
    # The calls of rows in flight on the actors when the worker died were made but never came
    # back to it, so the ledger lacks them (their answers are in the LM cache, which the
    # resume reused): at most one per slot of the pool (2 actors x num_threads rows).
    made = len(call_log.read_text().splitlines())
    assert 0 <= made - stored <= 2 * settings.num_threads
    record("crash", optimizer="any (rows on 2 Ray actors)",
           phase="the worker (Ray driver) killed, its actors with it", ok=True)  # fmt: skip
