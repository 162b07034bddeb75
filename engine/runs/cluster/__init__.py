"""A run's rows scored on a Ray cluster: the actor pool, one budget and rate limit over it,
and telling a lost cluster from a slow one.
"""
# ruff: noqa: I001 (a list of names, kept compact)

from engine.runs.cluster._budget import SharedBudget, start_keeper
from engine.runs.cluster._pool import (
    close_run_pool, connect, pilot_pool, ray_address, RowPool, SENT_ENV_PREFIX, SENT_ENV_SUFFIX,
    start_run_pool,
)
from engine.runs.cluster._watch import ClusterWatch, RAY_ENV, RayClusterLost
from engine.runs.cluster._pool import cluster_tls, sent_env

__all__ = [
    "close_run_pool", "cluster_tls", "ClusterWatch", "connect", "pilot_pool", "ray_address",
    "RAY_ENV", "RayClusterLost", "RowPool", "sent_env", "SENT_ENV_PREFIX", "SENT_ENV_SUFFIX",
    "SharedBudget", "start_keeper", "start_run_pool",
]  # fmt: skip
