"""Runs started on any machine of a Ray cluster (`TUNESMITH_RAY` set, the store on PostgreSQL).

`launch_run` hands the run to a detached Ray actor, `RunHost`, which Ray places on a machine of
the cluster; there it starts the run's supervisor as `launch_run` does here, and ends with the
run's process. Nothing secret crosses Ray's network in clear: the store's URL goes without its
password, API keys only over TLS (docs/SCALE.md, "Where runs start").
"""

from __future__ import annotations

import os
import socket
import threading
from typing import Any

from sqlalchemy.engine import make_url

from engine.runs.cluster import cluster_tls, connect, sent_env
from engine.runs.process._liveness import start_supervisor
from engine.runs.store import STORE_ENV, StoreAt, is_url


class RunHost:
    """Starts one run's supervisor on the machine Ray placed it on (a Ray actor)."""

    def __init__(self, run_id: str, store_url: str, env: dict[str, str]) -> None:
        self.process = start_supervisor(run_id, own_store(store_url), env)
        threading.Thread(target=self._end_with_the_run, daemon=True).start()

    def where(self) -> tuple[str, int]:
        """(host name, pid of the run's supervisor)."""
        return socket.gethostname(), self.process.pid

    def _end_with_the_run(self) -> None:
        import ray

        self.process.wait()
        ray.kill(ray.get_runtime_context().current_actor)


def without_password(url: str) -> str:
    """A PostgreSQL URL without its password (in the user part or a `password=` parameter)."""
    parsed = make_url(url)._replace(password=None).difference_update_query(["password"])
    return parsed.render_as_string(hide_password=False)


def own_store(sent: str) -> str:
    """The store's URL on this machine: its own $TUNESMITH_STORE when that names the same
    database (with the password this machine was given), else `sent`, whose password libpq
    then reads from PGPASSWORD or the password file (~/.pgpass, or $PGPASSFILE)."""
    mine = os.environ.get(STORE_ENV, "").strip()
    return mine if is_url(mine) and without_password(mine) == sent else sent


def host_name(run_id: str) -> str:
    """The run host's actor name in the cluster."""
    return f"tunesmith-run-{run_id}"


def launch_on_cluster(
    address: str, run_id: str, store_at: StoreAt, extra_env: dict[str, str]
) -> bool:
    """Hand the run to a `RunHost` on the cluster; False (nothing done) when the store is a
    file, which other machines cannot reach, or when the run has keys of its own (`extra_env`)
    and Ray's traffic is not encrypted."""
    if not is_url(store_at) or (extra_env and not cluster_tls()):
        return False
    import ray

    connect(address)
    env = {**sent_env()[0], **extra_env}
    host = (
        ray.remote(RunHost)
        .options(
            name=host_name(run_id), lifetime="detached", num_cpus=0, max_restarts=0,
            scheduling_strategy="SPREAD",
        )  # fmt: skip
        .remote(run_id, without_password(str(store_at)), env)
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
