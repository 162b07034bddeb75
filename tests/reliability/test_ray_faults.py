"""A run's rows on Ray actors when one actor is killed (kill -9) mid-row: its row is scored
again on another actor, nothing is lost or scored twice, and the run ends as it would have
in one process. On the session's local Ray cluster (`local_ray`)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import ray
from reliability_log import observe

import engine.runs.process.worker as worker_module
from engine.core._settings import settings
from engine.runs import RunStore, create_run, load_spec
from engine.runs.cluster._pool import LOST_WORDS, close_run_pool
from engine.runs.process._liveness import worker_command
from engine.runs.process.worker import run_worker

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT / "tests" / "runs") not in sys.path:
    sys.path.insert(0, str(ROOT / "tests" / "runs"))

import scripted_lms  # noqa: E402
from runs_helpers import (  # noqa: E402
    killed_then_resumed,
    subprocess_env,
    wait_for,
)

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

    with observe("crash", optimizer="any (rows on 2 Ray actors)", phase="an actor killed mid-row"):
        monkeypatch.setenv("TUNESMITH_RAY", local_ray)
        monkeypatch.setenv("TUNESMITH_RAY_ACTORS", "2")
        monkeypatch.setenv("TUNESMITH_RAY_ACTOR_CPUS", "0.5")
        stall = tmp_path / "stalled.pid"
        monkeypatch.setenv("TUNESMITH_TEST_STALL_FILE", str(stall))
        calls_log = tmp_path / "spread.log"
        monkeypatch.setenv("TUNESMITH_TEST_CALL_LOG", str(calls_log))
        granted: list[int] = []  # the keeper's count of granted calls, read before it stops

        def close_and_count(pool) -> None:
            granted.append(ray.get(pool.keeper.granted.remote()))
            close_run_pool(pool)

        monkeypatch.setattr(worker_module, "close_run_pool", close_and_count)
        db = tmp_path / "spread.db"
        run_id = create_run(spec, db)
        outcome: list[str] = []

        def work() -> None:
            with settings.context(num_threads=1):  # one row per actor: the killed one's is known
                outcome.append(run_worker(run_id, db, lm_factory=scripted_lms.stalling_oracle_lm))

        worker = threading.Thread(target=work)
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
            lm_calls = store.lm_calls(run_id)
            warnings = [e["data"]["message"] for e in store.events(run_id)
                        if e["type"] == "log" and e["data"].get("level") == "warning"]  # fmt: skip
        assert outcome == ["finished"], run["reason"]
        assert [r["error"] for r in rows.values() if r["error"]] == []  # no row failed for the kill
        assert trials == ref_trials  # the same trials, in the same order, none twice
        assert {k: (r["score"], r["outputs"]) for k, r in rows.items()} == {
            k: (r["score"], r["outputs"]) for k, r in ref_rows.items()
        }  # every row scored, the killed one's included
        # every call the model received is in the ledger once: the rows' calls from the actors
        # that finished them, and the killed actor's (its finished calls for rows in flight and the
        # one it was making) from the keeper's journal, the unanswered one as "worker_lost"
        seen = len(calls_log.read_text().splitlines())
        assert calls == seen == granted[0]
        assert calls > ref_calls  # the killed actor's rows were asked again elsewhere
        assert [c["fault"] for c in lm_calls if c["fault"]] == ["worker_lost"]
        assert warnings == [LOST_WORDS]


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

    lost = "the worker (Ray driver) killed, its actors with it"
    with observe("crash", optimizer="any (rows on 2 Ray actors)", phase=lost):
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
        # resume reused): at most one per row in flight, that is per slot of the pool (2 actors x
        # num_threads rows) for each batch out at once: two while the search scores a candidate
        # and bootstraps the next one ahead.
        made = len(call_log.read_text().splitlines())
        assert 0 <= made - stored <= 2 * 2 * settings.num_threads


def test_the_calls_of_a_killed_actors_row_reach_the_ledger_and_the_budget(
    tmp_path: Path, monkeypatch, local_ray
) -> None:
    """A row makes two calls; its actor is killed during the second. The first call's record
    and the unanswered second (as "worker_lost") come from the keeper's journal, so the
    worker's ledger, the keeper's count and the model's log of received calls agree."""
    from engine.core._parallel import parallel_map
    from engine.lm.budget import Budget
    from engine.lm.usage import UsageLedger
    from engine.runs.cluster._budget import SharedBudget, start_keeper
    from engine.runs.cluster._pool import RowPool

    spec = load_spec(ROOT / "sample_data" / "support_tickets.yaml")
    log, stall = tmp_path / "received.log", tmp_path / "stalled.pid"
    monkeypatch.setenv("TUNESMITH_TEST_CALL_LOG", str(log))
    monkeypatch.setenv("TUNESMITH_TEST_STALL_FILE", str(stall))
    keeper = start_keeper("journal-test", Budget(max_calls=50))
    budget = SharedBudget(keeper, {"max_calls": 50})
    pool = RowPool(spec.to_dict(), str(ROOT / "sample_data"), budget, actors=1,
                   actor_cpus=0.5, lm_factory=scripted_lms.hanging_lm)  # fmt: skip
    ledger, out = UsageLedger(), []

    def score() -> None:
        with settings.context(budget=budget, usage_trackers=(ledger,)):
            out.extend(parallel_map(scripted_lms.two_calls_row, [0, 1, 2], 1, offload=pool))

    try:
        scoring = threading.Thread(target=score)
        scoring.start()
        _wait_for(stall, 120, scoring)
        os.kill(int(stall.read_text()), signal.SIGKILL)  # the actor, in row 0's second call
        scoring.join(timeout=120)
        assert not scoring.is_alive()
        granted = ray.get(keeper.granted.remote())
        spent = budget.spent()["calls"]
        deadline = time.time() + 30  # rows that came back are dropped from the journal
        while ray.get(keeper.journal_rows.remote()) and time.time() < deadline:
            time.sleep(0.05)  # (not waited for by the pool)
        open_rows = ray.get(keeper.journal_rows.remote())
    finally:
        pool.close()
        ray.kill(keeper)
    assert out == [(0, None), (1, None), (2, None)]  # row 0 sent again, every row scored once
    received = len(log.read_text().splitlines())
    assert received == 8  # row 0: 2 on the killed actor + 2 again; rows 1 and 2: 2 each
    assert len(ledger.records) == received == granted == spent
    assert [r.fault for r in ledger.records].count("worker_lost") == 1
    assert open_rows == 0  # nothing left behind in the journal
    assert pool.replaced == 1


def test_the_head_node_lost_mid_run_fails_cleanly_and_resumes_on_the_cluster_back(
    tmp_path: Path,
) -> None:
    """A cluster of the test's own loses its head (every process of it killed) while a run
    scores rows there: the worker ends the run as failed, saying what happened and what to do,
    with the rows it had finished stored (none stored as failed). A resume on a cluster that is
    back finishes the run as an uninterrupted one would: nothing scored twice."""
    from ray_cluster import ThrowawayHead, open_beyond_loopback

    spec = load_spec(ROOT / "sample_data" / "support_tickets.yaml")
    spec.optimizer.params = {"race": False}
    reference = tmp_path / "reference.db"
    ref_id = create_run(spec, reference)
    assert run_worker(ref_id, reference, lm_factory=scripted_lms.oracle_lm) == "finished"
    with RunStore(reference) as store:
        ref_trials, ref_run = store.trials(ref_id), store.get_run(ref_id)

    lost = "the Ray head node lost (its cluster killed), resumed on the cluster back"
    with observe("crash", optimizer="any (rows on 2 Ray actors)", phase=lost) as seen:
        db = tmp_path / "runs.db"
        run_id = create_run(spec, db)
        head = ThrowawayHead()
        env = subprocess_env(
            TUNESMITH_TEST_LM="scripted_lms:slow_oracle_lm", TUNESMITH_TEST_LATENCY="0.03",
            TUNESMITH_RAY=head.address, TUNESMITH_RAY_ACTORS="2", TUNESMITH_RAY_ACTOR_CPUS="0.5",
            **head.env,
        )  # fmt: skip
        first = None
        try:
            # started as the dashboard starts it: the worker under its supervisor. On this one
            # machine the worker's own Ray node is the head, so losing the head may end the worker
            # itself (Ray ends a driver whose node's object store is gone); then its supervisor
            # records the failure. Either way the run ends failed, saying why and what to do.
            supervised = worker_command(run_id, db, "engine.runs.process.supervisor")
            with open(tmp_path / "worker.log", "w") as out:  # what the worker said, for a failure
                first = subprocess.Popen(supervised, env=env, stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True)  # fmt: skip
            with RunStore(db) as store:
                wait_for(lambda: len(store.trials(run_id)) >= 4, 120, "4 stored trials", 0.02)
                # its actors up: all on loopback
                assert open_beyond_loopback(head.process.pid) == []
                head.kill()  # the head node lost, mid-run
                first.wait(timeout=120)
                lost_run = store.get_run(run_id)
                kept = store.known_results(run_id)
                kept_trials = store.trials(run_id)
            seen.note(trials_before=len(kept_trials))
            assert lost_run["status"] == "failed", (tmp_path / "worker.log").read_text()[-3000:]
            assert "Ray cluster" in lost_run["reason"] and "resume the run" in lost_run["reason"]
            assert kept and [r["error"] for r in kept.values() if r["error"]] == []
            head.close()

            head = ThrowawayHead()  # the cluster is back (its head started again)
            env.update(TUNESMITH_RAY=head.address, **head.env)
            second = subprocess.run(supervised, env=env, capture_output=True, text=True,
                                    timeout=300)  # fmt: skip
            assert second.returncode == 0, second.stdout + second.stderr
            with RunStore(db) as store:
                run, trials = store.get_run(run_id), store.trials(run_id)
                rows = store.known_results(run_id)
        finally:
            if first is not None and first.poll() is None:
                first.kill()
            head.close()
        assert run["status"] == "finished" and run["attempts"] == 2
        assert [t["number"] for t in trials] == list(range(1, len(trials) + 1))
        assert [(t["candidate"], t["subset"], t["score"]) for t in trials] == [
            (t["candidate"], t["subset"], t["score"]) for t in ref_trials
        ]  # nothing scored twice, nothing lost: the uninterrupted run's trials
        assert trials[: len(kept_trials)] == kept_trials  # the trials stored before, as they were
        assert all(rows[key] == row for key, row in kept.items())  # the rows too
        assert (run["best_candidate"], run["test_best"]) == (
            ref_run["best_candidate"], ref_run["test_best"]
        )  # fmt: skip
