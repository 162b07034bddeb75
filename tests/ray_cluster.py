"""A throw-away local Ray cluster for the tests: 2 CPUs, no dashboard, every server on
127.0.0.1 (Ray binds to the node's address; telling it this machine is no cluster node makes
that address 127.0.0.1). One per test session, shared by every test marked `ray`."""

from __future__ import annotations

import os
from pathlib import Path

TESTS = Path(__file__).resolve().parent
LOCAL_ONLY_ENV = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"  # "0": the node's address is 127.0.0.1


def start_local_ray(num_cpus: int = 2) -> str:
    """Start the cluster (actors can import the project and the tests' helpers); its address."""
    os.environ[LOCAL_ONLY_ENV] = "0"
    paths = [str(TESTS.parent), str(TESTS / "runs"), str(TESTS / "reliability")]
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [*paths, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    )
    import ray
    from ray._private import ray_constants

    ray_constants.ENABLE_RAY_CLUSTER = False  # in case ray was imported before the variable
    ray.init(num_cpus=num_cpus, include_dashboard=False, log_to_driver=False)
    return ray.get_runtime_context().gcs_address


def stop_local_ray() -> None:
    import ray

    ray.shutdown()
