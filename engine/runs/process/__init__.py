"""A run as a process: created and launched (here or on a Ray cluster), its worker, the
supervisor that reports a native crash, the heartbeat, and whether it is alive.
"""
# ruff: noqa: I001 (a list of names, kept compact)

from engine.runs.process._launch import create_run, launch_run
from engine.runs.process._liveness import is_alive, pid_alive, reconcile_run
from engine.runs.process.worker import run_worker

__all__ = [
    "create_run", "is_alive", "launch_run", "pid_alive", "reconcile_run", "run_worker",
]  # fmt: skip
