"""The run store behaves the same on SQLite and PostgreSQL: what replaces and what is kept,
orders, JSON, totals, one winner when workers race to claim a run, a whole worker run, and
MIPROv2's Optuna study in the same PostgreSQL database."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import optuna
import pytest
from scripted_lms import instruction_oracle_lm, oracle_lm

from engine.core._errors import StoreError
from engine.lm.usage import CallRecord
from engine.optimizers.spine._events import Event
from engine.runs import RunStore, create_run
from engine.runs.estimate._forecast import measured_speed
from engine.runs.process.worker import run_worker
from engine.runs.store._schema import local_dir, shown, store_location, study_url

MIPRO_SMALL = {
    "auto": None, "num_candidates": 3, "num_trials": 4, "minibatch_size": 8,
    "minibatch_full_eval_steps": 2, "max_bootstrapped_demos": 2, "max_labeled_demos": 2,
    "race": False,
}  # fmt: skip


def _trial(seq: int, number: int, score: float, rows: list[dict]) -> Event:
    return Event(seq, "trial", 1_790_000_000.123456 + seq, {
        "number": number, "candidate": "c1", "subset": "val", "score": score, "rows": rows,
    })  # fmt: skip


def test_records_replace_and_keep_as_on_both(store_at, tickets_spec) -> None:
    with RunStore(store_at) as store:
        run_id = store.create_run(tickets_spec, sizes={"train": 20, "val": 10})
        row = {"example_id": "e1", "index": 0, "inputs": {"text": "café ✓"}, "score": 0.0}
        store.record_event(run_id, _trial(1, 1, 0.0, [row]))
        # the same trial number and seq again: the trial and the event are replaced, an
        # example result already stored for (candidate, example) is kept
        store.record_event(run_id, _trial(1, 1, 1.0, [{**row, "score": 1.0}]))
        store.record_event(run_id, Event(2, "candidate", 5.0, {"hash": "c1", "origin": "a"}))
        store.record_event(run_id, Event(3, "candidate", 6.0, {"hash": "c1", "origin": "b"}))
        store.record_event(run_id, Event(4, "log", 7.0, {"level": "info", "message": "x"}))
        (trial,) = store.trials(run_id)
        assert trial["score"] == 1.0 and trial["example_scores"] == {"e1": 1.0}
        (result,) = store.example_results(run_id)
        assert result["score"] == 0.0 and result["inputs"] == {"text": "café ✓"}
        assert [c["origin"] for c in store.candidates(run_id)] == ["a"]
        events = store.events(run_id)
        assert [e["seq"] for e in events] == [1, 2, 3, 4]
        assert events[0]["time"] == 1_790_000_000.123456 + 1  # a double, not a float4
        assert events[0]["data"]["rows"] == 1 and events[0]["data"]["score"] == 1.0
        assert [e["seq"] for e in store.events(run_id, after_seq=2, types=["log"])] == [4]
        assert [e["seq"] for e in store.events(run_id, limit=2)] == [1, 2]
        assert store.last_seq(run_id) == 4
        assert store.get_run(run_id)["sizes"] == {"train": 20, "val": 10}


def test_newest_first_totals_and_delete_on_both(store_at, tickets_spec) -> None:
    with RunStore(store_at) as store:
        first = store.create_run(tickets_spec)
        time.sleep(0.01)
        second = store.create_run(tickets_spec)
        assert [r["id"] for r in store.list_runs()] == [second, first]
        assert [r["id"] for r in store.list_runs(limit=1)] == [second]
        calls = [
            CallRecord(model="m1", role="task", prompt_tokens=10, completion_tokens=2, cost=0.5,
                       latency=0.1),
            CallRecord(model="m1", role="task", prompt_tokens=10, completion_tokens=2, cost=0.5,
                       latency=0.1, cache_hit=True),
            CallRecord(model="m2", role="proposer", prompt_tokens=7, completion_tokens=3,
                       cost=None, latency=0.2, error="timeout", fault="timeout",
                       retried={"rate_limit": 2}),
        ]  # fmt: skip
        for record in calls:
            store.record_call(second, record)
        usage = store.usage(second)
        assert (usage["calls"], usage["uncached_calls"], usage["cache_hits"]) == (3, 2, 1)
        assert (usage["prompt_tokens"], usage["completion_tokens"]) == (17, 5)
        assert usage["cost"] == 0.5 and usage["priced"] is False and usage["errors"] == 1
        assert usage["by_role"]["task"]["calls"] == 2 and usage["by_model"]["m2"]["calls"] == 1
        faults = store.fault_summary(second)
        assert faults["by_kind"] == {"rate_limit": 2, "timeout": 1}
        assert faults["failed_calls"] == 1 and faults["retried_calls"] == 1
        assert [r.model for r in store.known_call_records(second)] == ["m1", "m1", "m2"]
        store.update_run(second, status="finished", usage=usage)
        assert store.get_run(second)["usage"]["calls"] == 3
        with pytest.raises(StoreError, match="no column"):
            store.update_run(second, colour="red")
        store.delete_run(second)
        assert store.get_run(second) is None and store.lm_calls(second) == []
        assert [r["id"] for r in store.list_runs()] == [first]


def test_one_worker_wins_the_claim_on_both(store_at, tickets_spec) -> None:
    """Four claimers, each on its own connection: read, check, write inside `exclusive()`."""
    run_id = create_run(tickets_spec, store_at)
    winners: list[int] = []
    start = threading.Barrier(4)

    def claim(pid: int) -> None:
        with RunStore(store_at) as store:
            start.wait()
            with store.exclusive():
                if store.get_run(run_id)["status"] == "queued":
                    time.sleep(0.05)  # a slow check: the others must wait, not slip in
                    store.mark_started(run_id, pid)
                    winners.append(pid)

    threads = [threading.Thread(target=claim, args=(1000 + i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(winners) == 1
    with RunStore(store_at) as store:
        run = store.get_run(run_id)
    assert run["attempts"] == 1 and run["pid"] == winners[0]


def test_a_whole_run_on_both(store_at, tickets_spec) -> None:
    run_id = create_run(tickets_spec, store_at)
    assert run_worker(run_id, store_at, lm_factory=oracle_lm) == "finished"
    with RunStore(store_at) as store:
        run = store.get_run(run_id)
        assert run["best_score"] == 1.0 and run["test_best"] == 1.0
        assert run["comparison"]["n"] == 20
        trials = store.trials(run_id)
        assert [t["number"] for t in trials] == list(range(1, len(trials) + 1))
        seqs = [e["seq"] for e in store.events(run_id)]
        assert seqs == list(range(1, len(seqs) + 1))
        assert store.usage(run_id)["calls"] == len(store.lm_calls(run_id)) > 0
    # a second worker on a finished run leaves it alone
    assert run_worker(run_id, store_at, lm_factory=oracle_lm) == "finished"
    assert measured_speed("nothing-ran-this", store_at) is None


def test_mipro_study_lives_in_the_postgres_store(postgres_url, project, tmp_path, monkeypatch):
    monkeypatch.setenv("TUNESMITH_HOME", str(tmp_path))
    monkeypatch.setenv("TUNESMITH_STORE", postgres_url)
    from engine.runs import load_spec

    spec = load_spec(project / "support_tickets.yaml")
    spec.optimizer.name, spec.optimizer.params = "MIPROv2", dict(MIPRO_SMALL)
    spec.optimizer.budget.max_calls = None
    run_id = create_run(spec)  # no location given: $TUNESMITH_STORE
    status = run_worker(run_id, lm_factory=instruction_oracle_lm)
    with RunStore() as store:
        assert status == "finished", store.get_run(run_id)["traceback"]
    storage = study_url(postgres_url)
    study = optuna.load_study(study_name=f"mipro-{run_id}", storage=storage)
    searches = [t for t in study.trials if t.user_attrs.get("kind") == "search"]
    assert len(searches) == 4 and all(t.state.name == "COMPLETE" for t in searches)
    assert not list((tmp_path / "tunesmith_data").rglob("optuna.db"))  # no study file
    with RunStore() as store:
        assert store.get_run(run_id)["status"] == "finished"


def test_locations(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("TUNESMITH_HOME", str(tmp_path))
    monkeypatch.delenv("TUNESMITH_STORE", raising=False)
    assert store_location() == tmp_path / "tunesmith_data" / "runs.db"
    url = "postgresql://team:s3cret@db.example:5432/tunesmith"
    monkeypatch.setenv("TUNESMITH_STORE", url)
    assert store_location() == url and local_dir() == tmp_path / "tunesmith_data"
    assert "s3cret" not in shown(url) and "db.example" in shown(url)
    monkeypatch.setenv("TUNESMITH_STORE", "mysql://x/y")
    with pytest.raises(StoreError, match="postgresql://"):
        store_location()


def test_an_unreachable_postgres_says_so(postgres_cluster) -> None:
    url = postgres_cluster.url("no_such_database_here")
    with pytest.raises(StoreError, match="cannot be reached"):
        RunStore(url)


def test_a_launched_worker_on_postgres_gets_no_password_in_its_argv(
    postgres_url, tickets_spec, tmp_path, monkeypatch
) -> None:
    """The detached worker (supervisor + worker processes) finds the store through the
    environment; the URL, which may hold a password, is never in a command line."""
    from runs_helpers import subprocess_env, wait_for

    from engine.runs.process._launch import launch_run
    from engine.runs.process._liveness import worker_command

    monkeypatch.setenv("TUNESMITH_HOME", str(tmp_path))
    for key, value in subprocess_env(TUNESMITH_TEST_LM="scripted_lms:oracle_lm").items():
        monkeypatch.setenv(key, value)
    assert postgres_url not in " ".join(worker_command("r1", postgres_url))
    run_id = create_run(tickets_spec, postgres_url)
    launch_run(run_id, postgres_url, inline=False)
    with RunStore(postgres_url) as store:
        wait_for(lambda: store.get_run(run_id)["status"] == "finished", 120, "the run to end")
        assert store.get_run(run_id)["test_best"] == 1.0
    assert (tmp_path / "tunesmith_data" / "logs" / f"{run_id}.log").is_file()


def test_a_worker_on_another_machine_is_judged_by_its_heartbeat() -> None:
    """With a shared store the dashboard may run elsewhere: a pid from another machine means
    nothing here, the heartbeat does."""
    from engine.runs.process._liveness import STALE_AFTER, is_alive

    now = time.time()
    run = {"id": "r", "status": "running", "pid": 2**22 + 7, "host": "worker-7.team.example"}
    assert is_alive({**run, "heartbeat": now - 1}, now)
    assert not is_alive({**run, "heartbeat": now - STALE_AFTER - 1}, now)
    assert is_alive({**run, "status": "queued", "heartbeat": None, "created_at": now - 1}, now)
