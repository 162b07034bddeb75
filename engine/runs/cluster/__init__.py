"""A run's rows scored on a Ray cluster: the actor pool, one budget and rate limit over it,
and telling a lost cluster from a slow one.
"""

from engine.runs.cluster._budget import SharedBudget, start_keeper
from engine.runs.cluster._pool import (
    SENT_ENV_PREFIX,
    SENT_ENV_SUFFIX,
    RowPool,
    close_run_pool,
    connect,
    pilot_pool,
    ray_address,
    start_run_pool,
)
from engine.runs.cluster._watch import (
    RAY_ENV,
    ClusterWatch,
    RayClusterLost,
)

__all__ = [
    "close_run_pool",
    "ClusterWatch",
    "connect",
    "pilot_pool",
    "ray_address",
    "RAY_ENV",
    "RayClusterLost",
    "RowPool",
    "SENT_ENV_PREFIX",
    "SENT_ENV_SUFFIX",
    "SharedBudget",
    "start_keeper",
    "start_run_pool",
]
