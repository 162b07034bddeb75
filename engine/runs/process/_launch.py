"""Create runs and start their worker: detached through its supervisor (`launch_run`, so the
run survives the Streamlit server's reruns and restarts), on a Ray cluster, or in this process
(`TUNESMITH_INLINE_WORKER=1`: tests; never a run given keys of its own).
"""

from __future__ import annotations

import os
import re
from typing import Any

from engine.core import TunesmithError
from engine.runs.cluster import ray_address
from engine.runs.data import DataReport, validate_spec_against_data
from engine.runs.process._cluster_launch import launch_on_cluster
from engine.runs.process._liveness import start_supervisor
from engine.runs.process.worker import run_worker
from engine.runs.spec import ProjectSpec
from engine.runs.store import RunStore, StoreAt, store_location

INLINE_ENV = "TUNESMITH_INLINE_WORKER"


def create_run(
    spec: ProjectSpec, db_path: StoreAt | None = None, report: DataReport | None = None
) -> str:
    """Validate `spec` against its data (SpecError before any LM call) unless `report` is that
    validation's; store a queued run."""
    report = report or validate_spec_against_data(spec)
    with RunStore(db_path) as store:
        return store.create_run(
            spec,
            optimizer=report.optimizer,
            optimizer_reason=report.optimizer_reason,
            sizes=report.sizes,
        )


_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


def check_run_id(run_id: str) -> str:
    """A run id names a log file (`logs/<id>.log`): letters, digits, - and _ only, so it can
    never lead out of its folder; TunesmithError otherwise."""
    if not isinstance(run_id, str) or not _RUN_ID.fullmatch(run_id):
        raise TunesmithError(
            f"{run_id!r} is not a run id (ids look like 20261121-183501-3fa2c1); "
            "list them with `python -m engine runs`"
        )
    return run_id


def launch_run(
    run_id: str,
    db_path: StoreAt | None = None,
    *,
    inline: bool | None = None,
    lm_factory: Any = None,
    extra_env: dict[str, str] | None = None,
) -> int | None:
    """Start the run's worker; returns its pid (None when run inline, or on another machine of
    the Ray cluster: with `TUNESMITH_RAY` set and the store on PostgreSQL, see
    `engine.runs.process._cluster_launch`).

    Inline when `inline=True`, or when `inline` is None and TUNESMITH_INLINE_WORKER=1 (then
    this call blocks until the run ends; `lm_factory` is passed to the worker).
    `extra_env` (e.g. an API key typed into the dashboard) goes into the environment of the
    run's own process only, never this (shared) one's: a run given it is never inline. It is
    never written to the store or the log.
    """
    check_run_id(run_id)
    extra_env = {k: v for k, v in (extra_env or {}).items() if v}  # an empty key means "none"
    db_path = store_location(db_path)
    if inline is None:
        inline = os.environ.get(INLINE_ENV, "") not in ("", "0", "false", "False")
    if inline and not extra_env:
        run_worker(run_id, db_path, lm_factory=lm_factory)
        return None
    address = ray_address()
    if address is not None and launch_on_cluster(address, run_id, db_path, extra_env):
        return None  # started on a machine of the cluster (its pid and host are in the store)
    return start_supervisor(run_id, db_path, extra_env).pid
