"""Telling a Ray cluster that is gone (its head node stopped) from one that is only slow.

A run's worker waits for each row it sent to an actor through `ClusterWatch.result`: while it
waits it checks, every few seconds, that the cluster's head still answers. When the head has
not answered for `CLUSTER_GRACE` seconds, the wait ends with `RayClusterLost`, a kind of
`LMUnavailable`: the row is left unscored (like a row refused by the budget), no more rows go
out, and the run ends as failed with words saying how to go on. Its finished rows stay in the
store, so a resume on a cluster that is back (or on one machine) scores only the rest.
"""

from __future__ import annotations

import socket
import time
from typing import Any

from engine.core import LMUnavailable

RAY_ENV = "TUNESMITH_RAY"  # "auto" (the cluster this machine belongs to) or a head's address
CLUSTER_GRACE = 5.0  # seconds the head may not answer before the cluster counts as lost
WATCH_EVERY = 2.0  # seconds between looks at the head while a row is out


class RayClusterLost(LMUnavailable):
    """The Ray cluster's head stopped answering: the run cannot go on there."""

    def __init__(self, address: str) -> None:
        super().__init__(
            f"The Ray cluster ({address}) stopped answering for {CLUSTER_GRACE:g} s: its head "
            "node stopped or left the network. The run stopped; the rows it had finished are "
            "kept. Start the cluster again (docs/SCALE.md), or unset TUNESMITH_RAY to go on on "
            "one machine, and resume the run: it goes on from where it stopped.",
            limit="ray_cluster",
        )


def reachable(address: str, timeout: float = 5.0) -> None:
    """Raise OSError when nothing listens at a host:port address ("auto" is Ray's to find)."""
    host, _, port = address.rpartition(":")
    if address == "auto" or "://" in address or not host or not port.isdigit():
        return
    socket.create_connection((host, int(port)), timeout=timeout).close()


class ClusterWatch:
    """Waits for the results of Ray tasks while watching the head at `address` (host:port of
    its control store, `ray.get_runtime_context().gcs_address`)."""

    def __init__(self, address: str, grace: float = CLUSTER_GRACE) -> None:
        self.address = address
        self.grace = grace
        self.lost = False  # once lost, always lost: nothing more is asked of the cluster

    def result(self, ref: Any) -> Any:
        """`ray.get(ref)`, or RayClusterLost once the head stopped answering."""
        import ray

        while True:
            if self.lost:
                raise RayClusterLost(self.address)
            ready, _ = ray.wait([ref], timeout=WATCH_EVERY)
            if ready:
                return ray.get(ref)
            self.check()

    def check(self) -> None:
        """Raise RayClusterLost when the head has not answered for `grace` seconds."""
        deadline = time.monotonic() + self.grace
        while not self.lost:
            try:
                reachable(self.address, timeout=min(2.0, self.grace))
                return
            except OSError:
                if time.monotonic() >= deadline:
                    self.lost = True
                else:
                    time.sleep(0.25)
        raise RayClusterLost(self.address)
