"""A run's rows on Ray actors (`TUNESMITH_RAY`): the same results as one process, and one
budget across the cluster. All on the session's local Ray cluster (the `local_ray` fixture)."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
from runs_helpers import start_worker, subprocess_env, wait_for
from scripted_lms import oracle_lm, slow_oracle_lm

from engine.runs import RunStore, create_run
from engine.runs.process.worker import run_worker

pytestmark = pytest.mark.ray


def _use_ray(monkeypatch, address: str, actors: int) -> None:
    monkeypatch.setenv("TUNESMITH_RAY", address)
    monkeypatch.setenv("TUNESMITH_RAY_ACTORS", str(actors))
    monkeypatch.setenv("TUNESMITH_RAY_ACTOR_CPUS", str(2 / actors))  # the cluster has 2 CPUs


def _outcome(store: RunStore, run_id: str) -> dict:
    run = store.get_run(run_id)
    trials = [
        (t["number"], t["candidate"], t["subset"], t["score"], t["example_scores"])
        for t in store.trials(run_id)
    ]
    rows = {key: (row["score"], row["outputs"]) for key, row in store.known_results(run_id).items()}
    return {
        "status": run["status"], "best": run["best_score"], "program": run["program"],
        "test": (run["test_baseline"], run["test_best"]), "trials": trials, "rows": rows,
    }  # fmt: skip


def test_a_run_on_ray_actors_equals_the_one_process_run(
    tmp_path: Path, tickets_spec, monkeypatch, local_ray
) -> None:
    tickets_spec.optimizer.params = {"race": False}  # racing depends on which row ends first
    alone = tmp_path / "alone.db"
    run_id = create_run(tickets_spec, alone)
    assert run_worker(run_id, alone, lm_factory=oracle_lm) == "finished"
    with RunStore(alone) as store:
        expected = _outcome(store, run_id)

    _use_ray(monkeypatch, local_ray, actors=2)
    here: list = []  # the LM the worker builds (each actor builds its own, elsewhere)

    def factory(spec):
        here.append(oracle_lm(spec))
        return here[-1]

    spread = tmp_path / "spread.db"
    ray_run = create_run(tickets_spec, spread)
    assert run_worker(ray_run, spread, lm_factory=factory) == "finished"
    with RunStore(spread) as store:
        got = _outcome(store, ray_run)
        logs = [e["data"]["message"] for e in store.events(ray_run) if e["type"] == "log"]
        calls = store.usage(ray_run)["uncached_calls"]
    assert got == expected
    assert any("2 Ray workers" in line for line in logs)
    # every call was made on the actors (the teacher's runs that bootstrap the demos, the
    # rows) and came back to the worker's ledger and store: the worker's own LM made none
    assert len(here) == 1 and here[0].history == [] and calls > 0


def test_a_budget_of_n_calls_is_never_passed_by_four_actors(
    tmp_path: Path, tickets_spec, monkeypatch, local_ray
) -> None:
    _use_ray(monkeypatch, local_ray, actors=4)
    log = tmp_path / "calls.log"
    monkeypatch.setenv("TUNESMITH_TEST_CALL_LOG", str(log))
    monkeypatch.setenv("TUNESMITH_TEST_LATENCY", "0.02")
    tickets_spec.optimizer.budget.max_calls = 37
    tickets_spec.optimizer.params = {"race": False}
    db = tmp_path / "runs.db"
    run_id = create_run(tickets_spec, db)
    assert run_worker(run_id, db, lm_factory=slow_oracle_lm) == "stopped: budget"
    with RunStore(db) as store:
        run = store.get_run(run_id)
        test_calls = sum(t["usage"]["uncached_calls"] for t in store.trials(run_id, subset="test"))
        stored = store.usage(run_id)["uncached_calls"]
    made = len(log.read_text().splitlines())  # every call any actor (or the worker) made
    assert "max_calls=37" in run["reason"]
    assert made == stored  # every call came back to the store
    assert made - test_calls == 37  # the whole budget was used, and not one call more


def test_the_keeper_holds_one_budget_and_one_rate_limit_for_every_holder(local_ray) -> None:
    import ray

    from engine.core._errors import BudgetExhausted
    from engine.lm.budget import Budget
    from engine.runs.cluster._budget import SharedBudget, SharedLimiter, start_keeper

    keeper = start_keeper("keeper-test", Budget(max_calls=3))
    try:
        first, second = SharedBudget(keeper, {"max_calls": 3}), SharedBudget(keeper)
        first.before_call("task", "m")
        second.before_call("task", "m")
        first.before_call("task", "m")
        with pytest.raises(BudgetExhausted, match="max_calls=3"):
            second.before_call("task", "m")  # the third call was the last, whoever asks
        assert first.spent()["calls"] == second.spent()["calls"] == 3

        one, other = SharedLimiter(keeper), SharedLimiter(keeper)
        one.acquire()
        other.acquire()
        one.release(rate_limited=True)  # a 429 seen by one actor caps them all
        wait_until(lambda: other.cap == 1, "the cap set by the 429")
        assert ray.get(keeper.acquire.remote(0.05)) is False  # one in flight, the cap is 1
        other.release(rate_limited=False)
        wait_until(lambda: ray.get(keeper.acquire.remote(0.05)), "a free slot")
    finally:
        ray.kill(keeper)


def wait_until(predicate, what: str, timeout: float = 20.0) -> None:
    wait_for(predicate, timeout, what)


def test_a_cluster_nobody_answers_at_fails_the_run_at_once_saying_so(
    tmp_path: Path, tickets_spec
) -> None:
    with socket.socket() as probe:  # a port with nothing listening on it
        probe.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{probe.getsockname()[1]}"
    db = tmp_path / "runs.db"
    run_id = create_run(tickets_spec, db)
    env = subprocess_env(TUNESMITH_TEST_LM="scripted_lms:oracle_lm", TUNESMITH_RAY=address)
    cmd, worker = start_worker(run_id, db, env)
    assert worker.wait(timeout=120) == 1
    with RunStore(db) as store:
        run = store.get_run(run_id)
    assert run["status"] == "failed"
    assert f"TUNESMITH_RAY={address}: no Ray cluster could be reached" in run["reason"]
    assert "unset the variable to run on this machine" in run["reason"]
    assert not store_calls(db, run_id)  # it failed before any LM call


def store_calls(db: Path, run_id: str) -> list:
    with RunStore(db) as store:
        return store.lm_calls(run_id)


def test_the_test_cluster_listens_on_127_0_0_1_only(local_ray) -> None:
    import ray
    from ray_cluster import open_beyond_loopback

    pool_actor = ray.remote(lambda: os.getpid()).options(num_cpus=0).remote()
    assert ray.get(pool_actor) > 0  # a worker process is up too
    assert local_ray.startswith("127.0.0.1:")
    assert open_beyond_loopback(os.getpid()) == []


def test_sigterm_still_cancels_a_worker_on_ray(tmp_path: Path, tickets_spec, local_ray) -> None:
    """ray.init sets its own SIGTERM handler (exit at once); the worker keeps its own: the run
    stops between trials, as cancelled, with its best program so far."""
    import signal

    tickets_spec.optimizer.params = {"race": False}
    db = tmp_path / "runs.db"
    run_id = create_run(tickets_spec, db)
    env = subprocess_env(
        TUNESMITH_TEST_LM="scripted_lms:slow_oracle_lm", TUNESMITH_TEST_LATENCY="0.05",
        TUNESMITH_RAY=local_ray, TUNESMITH_RAY_ACTORS="1", TUNESMITH_RAY_ACTOR_CPUS="0.5",
    )  # fmt: skip
    _, worker = start_worker(run_id, db, env)
    try:
        with RunStore(db) as store:
            wait_for(lambda: len(store.trials(run_id)) >= 2, 120, "2 stored trials")
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=120) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
    with RunStore(db) as store:
        run = store.get_run(run_id)
    assert run["status"] == "cancelled" and run["program"] is not None


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("TUNESMITH_RAY_ACTORS", "four", "TUNESMITH_RAY_ACTORS='four': expected a whole number"),
        ("TUNESMITH_RAY_ACTORS", "0", "a pool needs at least 1 actor, not 0"),
        ("TUNESMITH_RAY_ACTOR_CPUS", "half", "TUNESMITH_RAY_ACTOR_CPUS='half': expected a number"),
        ("TUNESMITH_RAY_ACTOR_CPUS", "-1", "CPUs per actor cannot be negative"),
    ],
)
def test_bad_pool_settings_fail_the_run_saying_which(
    tmp_path: Path, tickets_spec, monkeypatch, local_ray, name: str, value: str, words: str
) -> None:
    _use_ray(monkeypatch, local_ray, actors=2)
    monkeypatch.setenv(name, value)
    db = tmp_path / "runs.db"
    run_id = create_run(tickets_spec, db)
    assert run_worker(run_id, db, lm_factory=oracle_lm) == "failed"
    with RunStore(db) as store:
        assert words in store.get_run(run_id)["reason"]


def test_a_run_started_with_ray_and_postgresql_runs_on_a_machine_of_the_cluster(
    tmp_path: Path, tickets_spec, monkeypatch, local_ray, postgres_url
) -> None:
    """launch_run hands the run to a detached actor that Ray places on a node; there it runs
    the supervisor and worker as on this machine, and ends with the run."""
    from engine.runs.process._cluster_launch import run_host
    from engine.runs.process._launch import launch_run

    monkeypatch.setenv("TUNESMITH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TUNESMITH_TEST_LM", "scripted_lms:oracle_lm")
    _use_ray(monkeypatch, local_ray, actors=1)
    run_id = create_run(tickets_spec, postgres_url)
    assert launch_run(run_id, postgres_url, inline=False) is None  # not a process of ours
    with RunStore(postgres_url) as store:
        wait_for(lambda: store.get_run(run_id)["status"] not in ("queued", "running"), 180,
                 "the run to end on the cluster")  # fmt: skip
        run = store.get_run(run_id)
    assert run["status"] == "finished", run["reason"]
    assert run["test_best"] == 1.0 and run["host"]
    assert "Ray workers" in " ".join(
        e["data"].get("message", "") for e in store_events(postgres_url, run_id)
    )  # its rows went to the pool too
    assert Path(run["log_path"]).exists()
    wait_for(lambda: run_host(run_id) is None, 60, "the run's host actor to end")


def store_events(store_at, run_id: str) -> list:
    with RunStore(store_at) as store:
        return store.events(run_id)


def test_a_pilot_on_ray_actors_measures_what_one_process_measures(
    tmp_path: Path, tickets_spec, monkeypatch, local_ray
) -> None:
    """The forecast's pilot scores its rows on the pool like a run (the same figures as in one
    process); every one of its task calls was made by an actor, not by this process."""
    from engine.runs.estimate._plan import preflight

    monkeypatch.setenv("TUNESMITH_TEST_LM", "scripted_lms:fallback_oracle_lm")
    monkeypatch.setenv("TUNESMITH_HOME", str(tmp_path))
    figures, makers = [], []
    for ray_on in (False, True):
        if ray_on:
            _use_ray(monkeypatch, local_ray, actors=2)
        log = tmp_path / f"calls-{ray_on}.log"
        monkeypatch.setenv("TUNESMITH_TEST_CALL_LOG", str(log))
        pilot = preflight(tickets_spec, pilot_rows=4)["pilot"]
        pilot.pop("seconds")  # time is the one figure allowed to differ
        figures.append(pilot)
        makers.append({int(line.split()[1]) for line in log.read_text().splitlines()})
    assert figures[0] == figures[1] and figures[0]["rows"] == 4
    assert figures[0]["fallback_need"] == 1.0 == figures[0]["fallback_success"]  # also on Ray
    assert makers[0] == {os.getpid()}  # one process: this one made the calls
    assert os.getpid() not in makers[1] and makers[1]  # on Ray: the actors made them all
