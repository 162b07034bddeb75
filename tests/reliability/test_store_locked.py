"""Reproduces the "database is locked" the store's IMMEDIATE write transactions fixed (295ff82).

In WAL mode a transaction begun DEFERRED that reads and then writes cannot upgrade once another
process committed in between: SQLite fails the write at once with "database is locked" (the
busy timeout does not apply). The worker's `mark_started` reads then writes; here another
process writes to the store exactly between its read and its write (a statement trace starts
it), while a dashboard-style reader reads. With `RunStore._write` beginning IMMEDIATE the worker
holds the write lock from the start: the other writer is told to wait and succeeds after, the
reader is never blocked, and no write is lost."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from reliability_log import observe

ROOT = Path(__file__).resolve().parents[2]

# another process: one write, no waiting (timeout 0), so "waits for the lock" shows as "locked"
OTHER_WRITER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], timeout=0)
try:
    conn.execute("UPDATE runs SET heartbeat = 12345 WHERE id = ?", [sys.argv[2]])
    conn.commit()
    print("wrote")
except sqlite3.OperationalError as exc:
    print("locked" if "locked" in str(exc) else repr(exc))
"""


def _other_write(db: Path, run_id: str) -> str:
    done = subprocess.run(  # noqa: S603  (fixed argv)
        [sys.executable, "-c", OTHER_WRITER, str(db), run_id],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return done.stdout.strip()


def test_a_write_between_the_workers_read_and_write_does_not_lock_it(tmp_path: Path) -> None:
    from engine.runs.process._launch import create_run
    from engine.runs.spec._spec import load_spec
    from engine.runs.store._store import RunStore

    spec = load_spec(ROOT / "sample_data" / "support_tickets.yaml")
    db = tmp_path / "runs.db"
    mine, other = create_run(spec, db), create_run(spec, db)
    outcomes: list[str] = []
    reads: list[str] = []

    worker = RunStore(db)

    def between(statement: str) -> None:
        """After the worker's read, before its write: another process writes, the UI reads."""
        if statement.lstrip().upper().startswith("UPDATE") and not outcomes:
            outcomes.append(_other_write(db, other))
            with RunStore(db) as dashboard:
                reads.append(dashboard.get_run(mine)["status"])

    scenario = "write from another process between a worker's read and write"
    with observe("concurrency", scenario=scenario, writes=2) as seen:
        worker.db.conn.set_trace_callback(between)
        try:
            attempt = worker.mark_started(mine, pid=4242)  # raised "database is locked" before
        except Exception as exc:
            seen.note(locked_errors=int("locked" in str(exc)))
            raise
        finally:
            worker.db.conn.set_trace_callback(None)
            worker.close()
        seen.note(locked_errors=0, reads=len(reads))
        assert attempt == 1 and outcomes, outcomes
        assert outcomes == ["locked"], outcomes  # the other writer waits: the worker holds it
        assert reads and reads[0] != "running"  # the reader saw the last commit, unblocked
        assert _other_write(db, other) == "wrote"  # after the worker's commit it goes through
        with RunStore(db) as store:
            mine_kept = (store.get_run(mine)["status"], store.get_run(mine)["pid"])
            other_kept = store.get_run(other)["heartbeat"]
        seen.note(lost=(mine_kept != ("running", 4242)) + (other_kept != 12345))
        assert mine_kept == ("running", 4242) and other_kept == 12345  # neither write was lost
