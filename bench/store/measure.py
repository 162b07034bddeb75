"""Events per second the run store holds with N concurrent writer processes.

    python -m bench.store [--store URL_OR_PATH | --throwaway-postgres] [--writers 1 2 4]
                          [--seconds 5]

Each writer process is a worker's write path with a zero-latency fake LM: it records one
trial event (two rows) and one LM call per step into its own run, as fast as it can, for
`--seconds`. Default store: a fresh SQLite file in a temporary folder per measurement;
`--throwaway-postgres`: a fresh database per measurement on a PostgreSQL server started for the
bench in a temp folder (tests/postgres_cluster.py, PostgreSQL's default durability: fsync and
synchronous commit on).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from engine.lm.usage import CallRecord
from engine.optimizers.spine._events import Event
from engine.runs.spec import ProjectSpec
from engine.runs.store import RunStore

SAMPLE_SPEC = Path(__file__).resolve().parents[2] / "sample_data" / "support_tickets.yaml"


def _writer(store_at: str, run_id: str, seconds: float, ready: Any, out: Any) -> None:
    store = RunStore(store_at)
    ready.wait()  # every writer connected: they start together
    seq, end = 0, time.time() + seconds
    while time.time() < end:
        seq += 1
        rows = [{"example_id": f"r{seq}-{i}", "index": i, "inputs": {"text": "hi"},
                 "outputs": {"label": "a"}, "score": 1.0} for i in range(2)]  # fmt: skip
        store.record_event(run_id, Event(seq, "trial", time.time(), {
            "number": seq, "candidate": "c1", "subset": "val", "score": 1.0, "rows": rows,
        }))  # fmt: skip
        store.record_call(run_id, CallRecord(model="fake", role="task", prompt_tokens=10,
                                             completion_tokens=2, cost=0.0, latency=0.0))
    store.close()
    out.put(seq)


def measure(store_at: str, writers: int, seconds: float) -> float:
    """Events per second (all writers together) over `seconds`."""
    from engine.runs import load_spec

    spec: ProjectSpec = load_spec(SAMPLE_SPEC)
    with RunStore(store_at) as store:
        runs = [store.create_run(spec) for _ in range(writers)]
    ctx = mp.get_context("spawn")
    out, ready = ctx.Queue(), ctx.Barrier(writers)
    procs = [ctx.Process(target=_writer, args=(store_at, r, seconds, ready, out)) for r in runs]
    for p in procs:
        p.start()
    total = sum(out.get() for _ in procs)
    for p in procs:
        p.join()
    return total / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", default=None, help="a PostgreSQL URL or a SQLite file")
    parser.add_argument("--writers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--throwaway-postgres", action="store_true")
    parser.add_argument("--pg-setting", action="append", default=[],
                        help="a server setting for the throw-away PostgreSQL, e.g. "
                        "synchronous_commit=off")  # fmt: skip
    args = parser.parse_args()
    cluster = _throwaway_postgres(args.pg_setting) if args.throwaway_postgres else None
    try:
        for n in args.writers:
            if cluster is not None:
                store_at = cluster.new_database()
            else:
                store_at = args.store or str(Path(tempfile.mkdtemp(prefix="bench-")) / "runs.db")
            rate = measure(store_at, n, args.seconds)
            kind = "postgresql" if store_at.startswith("postgres") else "sqlite"
            sys.stdout.write(f"store={kind} writers={n} events/s={rate:.0f}\n")
    finally:
        if cluster is not None:
            cluster.stop()


def _throwaway_postgres(settings: list[str]) -> Any:
    tests = Path(__file__).resolve().parents[2] / "tests"
    sys.path.insert(0, str(tests))
    from postgres_cluster import MISSING, PostgresCluster, server_bin

    bin_dir = server_bin()
    if bin_dir is None:
        raise SystemExit(MISSING)
    return PostgresCluster(bin_dir, durable=True, settings=tuple(settings)).start()

