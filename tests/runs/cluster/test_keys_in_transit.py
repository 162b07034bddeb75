"""Issue 62 items 2 and 6: keys and the store's password never cross Ray's network in clear and
never enter a shared process's environment.

- Ray without TLS (the session's local cluster): a run's actors get no API key (they use their
  own machine's environment), and a hosted model whose key stayed on the worker's machine is
  refused before any row, saying why and what to do. Over TLS (`RAY_USE_TLS=1`) the keys go.
- A run handed to the cluster carries the store's URL without its password: the processes that
  Ray started for it (the run's supervisor and worker) never hold it, and the run still works.
- Inline mode (`TUNESMITH_INLINE_WORKER=1`, the shared dashboard server in tests): a key typed
  for a run never enters this process's environment; the run gets a process of its own.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from runs_helpers import subprocess_env, wait_for
from scripted_lms import oracle_lm

from engine.core._errors import TunesmithError
from engine.runs import RunStore, create_run
from engine.runs.process._launch import launch_run

KEY = "sk-in-transit-FAKE-7c41d09e"
PASSWORD = "Pw-ray-NOT-SENT-31"


def _pool(spec, monkeypatch, **kwargs):
    from engine.runs.cluster._budget import SharedBudget, start_keeper
    from engine.runs.cluster._pool import RowPool

    keeper = start_keeper(f"transit-{os.getpid()}", None)
    try:
        return RowPool(
            spec.to_dict(), str(spec.base_dir), SharedBudget(keeper), actors=1, actor_cpus=0,
            **kwargs,
        ), keeper  # fmt: skip
    except BaseException:
        import ray

        ray.kill(keeper)
        raise


@pytest.mark.ray
def test_without_tls_the_actors_get_no_key_and_no_store_url(
    tickets_spec, monkeypatch, local_ray
) -> None:
    import ray

    monkeypatch.delenv("RAY_USE_TLS", raising=False)
    monkeypatch.setenv("EXAMPLE_API_KEY", KEY)
    monkeypatch.setenv("TUNESMITH_EXAMPLE_SETTING", "on")
    monkeypatch.setenv("TUNESMITH_STORE", f"postgresql://team:{PASSWORD}@db.example/tunesmith")
    pool, keeper = _pool(tickets_spec, monkeypatch, lm_factory=oracle_lm)
    try:
        getenv, _ = pool.offload(os.getenv, 1)  # runs on the actor
        assert getenv("EXAMPLE_API_KEY") is None
        assert getenv("TUNESMITH_EXAMPLE_SETTING") == "on"
        assert getenv("TUNESMITH_STORE") is None
    finally:
        pool.close()
        ray.kill(keeper)


@pytest.mark.ray
def test_a_hosted_model_whose_key_stayed_here_is_refused_before_any_row(
    tickets_spec, monkeypatch, local_ray
) -> None:
    if os.environ.get("OPENAI_API_KEY"):
        pytest.skip("OPENAI_API_KEY is set in this session: the cluster's machine has a key")
    monkeypatch.delenv("RAY_USE_TLS", raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)  # the worker's (a key typed into the dashboard)
    tickets_spec.models.task.model = "openai/gpt-4o-mini"
    with pytest.raises(TunesmithError) as info:
        _pool(tickets_spec, monkeypatch)
    message = str(info.value)
    assert KEY not in message
    assert "On a machine of the Ray cluster: Model 'openai/gpt-4o-mini' needs an API key" in message
    assert "not encrypted" in message and "(OPENAI_API_KEY stayed on this machine)" in message
    assert "RAY_USE_TLS=1" in message and "unset TUNESMITH_RAY" in message


def test_over_tls_the_keys_are_sent_and_never_the_store(monkeypatch) -> None:
    from engine.runs.cluster._pool import sent_env

    monkeypatch.setenv("EXAMPLE_API_KEY", KEY)
    monkeypatch.setenv("TUNESMITH_STORE", f"postgresql://team:{PASSWORD}@db.example/tunesmith")
    monkeypatch.delenv("RAY_USE_TLS", raising=False)
    env, held_back = sent_env()
    assert "EXAMPLE_API_KEY" not in env and "EXAMPLE_API_KEY" in held_back
    monkeypatch.setenv("RAY_USE_TLS", "1")
    env, held_back = sent_env()
    assert env["EXAMPLE_API_KEY"] == KEY and held_back == []
    assert all(PASSWORD not in value for value in env.values())


def test_the_cluster_side_takes_the_password_from_its_own_environment(monkeypatch) -> None:
    from engine.runs.process._cluster_launch import own_store, without_password

    url = f"postgresql://team:{PASSWORD}@db.example:5432/tunesmith?sslmode=require"
    sent = without_password(url)
    assert sent == "postgresql://team@db.example:5432/tunesmith?sslmode=require"
    assert without_password(f"postgresql://team@db/x?password={PASSWORD}") == "postgresql://team@db/x"
    monkeypatch.setenv("TUNESMITH_STORE", url)  # this machine's own setting for that database
    assert own_store(sent) == url
    monkeypatch.setenv("TUNESMITH_STORE", "postgresql://team:x@elsewhere/other")
    assert own_store(sent) == sent  # libpq then reads ~/.pgpass or $PGPASSFILE


def _environ(pid: int) -> str:
    with open(f"/proc/{pid}/environ", "rb") as fh:
        return fh.read().decode("utf-8", "replace")


@pytest.mark.ray
def test_a_run_handed_to_the_cluster_carries_no_store_password(
    tmp_path: Path, tickets_spec, monkeypatch, local_ray, postgres_url
) -> None:
    from engine.runs.process._cluster_launch import run_host

    scheme, rest = postgres_url.split("://", 1)
    url = f"{scheme}://{rest.split('@')[0]}:{PASSWORD}@{rest.split('@', 1)[1]}"  # trusted: any
    monkeypatch.setenv("TUNESMITH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TUNESMITH_TEST_LM", "scripted_lms:slow_oracle_lm")
    monkeypatch.setenv("TUNESMITH_TEST_LATENCY", "0.2")
    monkeypatch.setenv("TUNESMITH_RAY", local_ray)
    monkeypatch.setenv("TUNESMITH_RAY_ACTORS", "1")
    monkeypatch.setenv("TUNESMITH_RAY_ACTOR_CPUS", "1")
    monkeypatch.delenv("RAY_USE_TLS", raising=False)
    run_id = create_run(tickets_spec, url)
    assert launch_run(run_id, url, inline=False) is None  # handed to the cluster
    with RunStore(url) as store:
        wait_for(lambda: store.get_run(run_id)["pid"] is not None, 120, "the run's worker")
        worker = store.get_run(run_id)["pid"]
        seen = _environ(worker)  # the worker, started by the supervisor Ray's actor started
        assert "TUNESMITH_STORE=postgresql://" in seen and PASSWORD not in seen
        supervisor = int(open(f"/proc/{worker}/stat").read().split(") ")[1].split()[1])
        assert PASSWORD not in _environ(supervisor)
        wait_for(lambda: store.get_run(run_id)["status"] not in ("queued", "running"), 300,
                 "the run to end on the cluster")  # fmt: skip
        run = store.get_run(run_id)
    assert run["status"] == "finished", run["reason"]
    assert PASSWORD.encode() not in Path(run["log_path"]).read_bytes()
    wait_for(lambda: run_host(run_id) is None, 60, "the run's host actor to end")

    typed = create_run(tickets_spec, url)  # a key typed for this run: not over Ray's network
    monkeypatch.setenv("TUNESMITH_TEST_LM", "scripted_lms:oracle_lm")
    monkeypatch.setenv("PYTHONPATH", subprocess_env()["PYTHONPATH"])
    assert launch_run(typed, url, inline=False, extra_env={"EXAMPLE_API_KEY": KEY}) is not None
    with RunStore(url) as store:
        wait_for(lambda: store.get_run(typed)["status"] not in ("queued", "running"), 300,
                 "the run started here")  # fmt: skip
        assert store.get_run(typed)["status"] == "finished"


def test_inline_mode_never_puts_a_key_in_this_process_environment(
    db_path: Path, tickets_spec, monkeypatch
) -> None:
    monkeypatch.setenv("TUNESMITH_INLINE_WORKER", "1")
    monkeypatch.setenv("TUNESMITH_TEST_LM", "scripted_lms:keyed_oracle_lm")  # needs the key
    monkeypatch.setenv("PYTHONPATH", subprocess_env()["PYTHONPATH"])
    monkeypatch.delenv("FAKE_KEY_FOR_TEST", raising=False)
    before = dict(os.environ)
    leaked: list[str] = []
    done = threading.Event()

    def watch() -> None:  # samples this process's environment while the run goes on
        while not done.is_set():
            if any(KEY in value for value in os.environ.values()):
                leaked.append("os.environ")
            done.wait(0.01)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    run_id = create_run(tickets_spec, db_path)
    try:
        pid = launch_run(run_id, db_path, extra_env={"FAKE_KEY_FOR_TEST": KEY})
        assert pid is not None  # a process of its own, although inline mode is on
        with RunStore(db_path) as store:
            wait_for(lambda: store.get_run(run_id)["status"] not in ("queued", "running"), 120,
                     "the run")  # fmt: skip
            run = store.get_run(run_id)
    finally:
        done.set()
        watcher.join()
    assert run["status"] == "finished", run["reason"]  # its LM had the key: it answered
    assert leaked == [] and dict(os.environ) == before
    for path in db_path.parent.rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path
