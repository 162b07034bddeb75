"""`python -m engine.runs.process.supervisor RUN_ID [--db PATH]`: the process `launch_run` starts.

It runs the real worker (`python -m engine.runs.process.worker`) as its child and waits. A
worker that dies by a signal leaves no Python traceback and no status: a native crash in the
model runtime (SIGSEGV, SIGILL), the kernel's OOM killer, a kill -9. The supervisor then marks
the run failed with the signal named and the rows the worker was evaluating (it writes them to
its run folder, `in_flight.json`), so the dashboard shows why instead of a silent stop. A worker
that exits with an error code before recording the run's end (Ray ends a driver whose own node
is lost) is marked failed too, saying whether its Ray cluster still answers. SIGTERM and SIGINT
are passed on to the worker (a cancel), and the worker's exit code is the supervisor's.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

from engine.lm.local import describe_signal
from engine.runs.cluster import RAY_ENV, ClusterWatch, RayClusterLost
from engine.runs.process._liveness import worker_command
from engine.runs.store import ACTIVE, RunStore, StoreAt, local_dir, store_location

logger = logging.getLogger(__name__)

IN_FLIGHT_FILE = "in_flight.json"
GENERIC_DEATH = "worker stopped without finishing"  # liveness.reconcile_run's words


def in_flight_path(db_path: StoreAt, run_id: str) -> Path:
    """Where the worker keeps the rows it is evaluating (its run folder)."""
    return local_dir(db_path) / "runs" / run_id / IN_FLIGHT_FILE


def describe_rows(path: Path, limit: int = 8) -> str:
    """'candidate 3fa2c1: rows val-4, val-7' from the worker's in-flight file, or ''."""
    try:
        rows = json.loads(path.read_text()).get("rows") or []
    except (OSError, ValueError, AttributeError):
        return ""
    by_candidate: dict[str, list[str]] = {}
    for candidate, example in rows:
        by_candidate.setdefault(str(candidate)[:8], []).append(str(example))
    parts = []
    for candidate, examples in by_candidate.items():
        more = f" and {len(examples) - limit} more" if len(examples) > limit else ""
        parts.append(f"candidate {candidate}: rows {', '.join(examples[:limit])}{more}")
    return "; ".join(parts)


def death_reason(returncode: int, rows: str) -> str:
    """The failure reason for a worker that died by signal `-returncode`."""
    name = describe_signal(-returncode)
    where = f" while evaluating {rows}" if rows else ""
    hint = {
        signal.SIGKILL: "killed from outside (kill -9) or by the kernel for lack of memory",
        signal.SIGSEGV: "a native crash, most likely in the embedded model's runtime",
        signal.SIGILL: "the embedded model's runtime used an instruction this CPU lacks",
        signal.SIGBUS: "a native crash, most likely in the embedded model's runtime",
        signal.SIGABRT: "a native library aborted (an assertion in the model runtime?)",
    }.get(signal.Signals(-returncode) if -returncode in signal.valid_signals() else None, "")
    cause = f" ({hint})" if hint else ""
    return (
        f"the worker process died from {name}{where}{cause}. Nothing stored was lost: start the "
        "run again to resume; if it dies again the same way, run `make setup` (it checks the "
        "embedded model on this CPU) and see the run's log"
    )


def exit_reason(returncode: int) -> str:
    """The failure reason for a worker that exited with `returncode` > 0 before recording the
    run's end: on Ray, when the cluster no longer answers, that (Ray ends a driver whose own
    node is lost, e.g. the head when the worker ran on it); else the code."""
    address = os.environ.get(RAY_ENV, "").strip()
    if address:
        try:
            ClusterWatch(address).check()
        except RayClusterLost as lost:
            return str(lost)
    return (
        f"the worker process ended (exit code {returncode}) before recording the run's end. "
        "Nothing stored was lost: start the run again to resume; see the run's log"
    )


def record_death(db_path: StoreAt, run_id: str, returncode: int) -> str | None:
    """Mark the run failed with the signal and rows (or, for an exit code, `exit_reason`),
    unless it already ended on its own."""
    if returncode > 0:
        reason = exit_reason(returncode)
    else:
        reason = death_reason(returncode, describe_rows(in_flight_path(db_path, run_id)))
    with RunStore(db_path) as store:
        run = store.get_run(run_id)
        if run is None:
            return None
        generic = run["status"] == "failed" and str(run.get("reason") or "").startswith(
            GENERIC_DEATH
        )
        if run["status"] not in ACTIVE and not generic:
            return None  # it finished or failed with its own words before dying
        store.finish_run(run_id, "failed", reason=reason, usage=store.usage(run_id))
    return reason


def supervise(run_id: str, db_path: StoreAt) -> int:
    """Run the worker to its end; returns its exit code (128 + signal if it died by one)."""
    child = subprocess.Popen(worker_command(run_id, db_path))  # noqa: S603  (fixed argv)

    def forward(signum: int, _frame: object) -> None:
        if child.poll() is None:
            child.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    code = child.wait()  # a signal handled here does not interrupt it (PEP 475)
    if code == 0:
        return code
    reason = record_death(db_path, run_id, code)
    if reason:
        logger.error("run %s failed: %s", run_id, reason)
    return code if code > 0 else 128 - code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m engine.runs.process.supervisor",
        description="Run one stored run's worker and record it if the worker dies by a signal "
        "or exits with an error before recording the run's end.",
    )
    parser.add_argument("run_id")
    parser.add_argument("--db", help="path of the run store")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    db_path = store_location(args.db or None)
    return supervise(args.run_id, db_path)


if __name__ == "__main__":
    sys.exit(main())
