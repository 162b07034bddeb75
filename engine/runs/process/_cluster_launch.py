"""Runs started on any machine of a Ray cluster (`TUNESMITH_RAY` set, the store on PostgreSQL).

`launch_run` hands the run to a detached Ray actor, `RunHost`, which Ray places on a machine of
the cluster (spread over them). There it starts the run's supervisor and worker exactly as
`launch_run` does on this machine (a log under that machine's `tunesmith_data/logs/`, the pid
and host name in the store), and it ends when the run's process does. Detached: the run goes on
if the dashboard or CLI that started it stops. The store must be one every machine reaches
(PostgreSQL); with a SQLite file, runs start on this machine, as without Ray.
"""

from __future__ import annotations

import os
import socket
import subprocess
import threading
from pathlib import Path
from typing import Any

from engine.runs.cluster import SENT_ENV_PREFIX, SENT_ENV_SUFFIX, connect
from engine.runs.process._liveness import worker_command
from engine.runs.store import STORE_ENV, RunStore, StoreAt, is_url, local_dir

ROOT = Path(__file__).resolve().parents[2]


class RunHost:
    """Starts one run's supervisor on the machine Ray placed it on (a Ray actor)."""

    def __init__(self, run_id: str, store_url: str, env: dict[str, str]) -> None:
        log_path = local_dir(store_url) / "logs" / f"{run_id}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with RunStore(store_url) as store:
            store.update_run(run_id, log_path=str(log_path), cancel_requested=0)
        full_env = {**os.environ, **env, STORE_ENV: store_url, "PYTHONUNBUFFERED": "1"}
        with open(log_path, "ab") as log:
            self.process = subprocess.Popen(  # noqa: S603  (fixed argv, no shell)
                worker_command(run_id, store_url, "engine.runs.process.supervisor"),
                start_new_session=True, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, cwd=str(ROOT), env=full_env,
            )  # fmt: skip
        with RunStore(store_url) as store:
            store.update_run(run_id, pid=self.process.pid, host=socket.gethostname())
        threading.Thread(target=self._end_with_the_run, daemon=True).start()

    def where(self) -> tuple[str, int]:
        """(host name, pid of the run's supervisor)."""
        return socket.gethostname(), self.process.pid

    def _end_with_the_run(self) -> None:
        import ray

        self.process.wait()
        ray.kill(ray.get_runtime_context().current_actor)


def host_name(run_id: str) -> str:
    """The run host's actor name in the cluster."""
    return f"tunesmith-run-{run_id}"


def launch_on_cluster(
    address: str, run_id: str, store_at: StoreAt, extra_env: dict[str, str]
) -> bool:
    """Hand the run to a `RunHost` on the cluster; False (nothing done) when the store is a
    file, which other machines cannot reach."""
    if not is_url(store_at):
        return False
    import ray

    connect(address)
    env = {
        k: v
        for k, v in os.environ.items()
        if k.startswith(SENT_ENV_PREFIX) or k.endswith(SENT_ENV_SUFFIX)
    }
    env.update(extra_env)
    host = (
        ray.remote(RunHost)
        .options(
            name=host_name(run_id), lifetime="detached", num_cpus=0, max_restarts=0,
            scheduling_strategy="SPREAD",
        )  # fmt: skip
        .remote(run_id, str(store_at), env)
    )
    ray.get(host.where.remote())  # started: its pid and host are in the store
    return True


def run_host(run_id: str) -> Any:
    """The run's host actor, or None (not started on the cluster, or ended)."""
    import ray

    try:
        return ray.get_actor(host_name(run_id))
    except ValueError:
        return None
