"""The run store: runs, candidates, trials, example results, LM calls and events in SQLite.

The worker writes through one long-lived `RunStore` (short transactions, a lock so that worker
threads can share it); readers such as the dashboard open a fresh `RunStore` per script run,
or call the module-level helpers (`list_runs()`, `get_run(id)`, ...) which do that for them.
API keys are never written: nothing here receives one (specs cannot hold keys, LM call
records carry model names and counts only). As a last defence a spec is scanned for key-shaped
values and credentials in URLs before it is stored (refused), and run fields, events and call
errors are redacted (`engine.runs.redact`).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from engine.errors import SpecError
from engine.runs.redact import redact, redact_data
from engine.runs.spec import ProjectSpec
from engine.runs.store_read import StoreReader
from engine.runs.store_schema import RUN_JSON_COLUMNS, connect, default_db_path, dumps
from engine.secret_shapes import secret_problems

ACTIVE = ("queued", "running")
TERMINAL = ("finished", "stopped: budget", "cancelled", "failed")
_LIGHT_EVENT_KEYS = {"trial": "rows", "candidate": "state"}  # bulky parts kept in their own tables


def new_run_id() -> str:
    """'20261121-183501-3fa2c1': sortable by time, unique, URL-friendly."""
    return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(3)


class RunStore(StoreReader):
    """One connection to the store file. Thread-safe; every write is one short transaction."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_db_path()
        self.db = connect(self.path)
        self._lock = threading.RLock()

    def close(self) -> None:
        with self._lock:
            self.db.close()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """A write transaction taken at once (BEGIN IMMEDIATE), so that a read, a check and a
        write inside it are atomic across processes (two workers claiming one run)."""
        with self._lock:
            self.db.conn.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self.db.conn.rollback()
                raise
            self.db.conn.execute("COMMIT")

    @contextmanager
    def _write(self) -> Iterator[None]:
        """A write transaction that takes the write lock at BEGIN (waiting up to the busy
        timeout). sqlite-utils' atomic() begins DEFERRED: a read then a write in it fails at
        once with "database is locked" when another process wrote in between (WAL snapshot),
        which two workers on one store hit. Nested: a savepoint."""
        if self.db.conn.in_transaction:
            with self.db.atomic():
                yield
            return
        with self.exclusive():
            yield

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- runs -------------------------------------------------------------------------------
    def create_run(
        self,
        spec: ProjectSpec,
        *,
        optimizer: str | None = None,
        optimizer_reason: str = "",
        sizes: dict[str, int] | None = None,
    ) -> str:
        """Insert a queued run for `spec` (saved as JSON with its base folder); return its id.

        A spec holding a key in any field (set after validation) is refused: SpecError."""
        problems = secret_problems(spec.model_dump(mode="json"))
        if problems:
            raise SpecError("\n".join(problems))
        run_id = new_run_id()
        row = {
            "id": run_id, "name": spec.name, "description": spec.description,
            "spec": spec.to_dict(),
            "base_dir": str(spec.base_dir), "status": "queued", "created_at": time.time(),
            "optimizer": optimizer or spec.optimizer.name, "optimizer_reason": optimizer_reason,
            "sizes": sizes, "attempts": 0, "cancel_requested": 0,
        }  # fmt: skip
        with self._lock, self._write():
            self.db["runs"].insert(_encode(row))
        return run_id

    def update_run(self, run_id: str, **fields: Any) -> None:
        """Set columns of a run (JSON columns are encoded)."""
        if not fields:
            return
        with self._lock, self._write():
            self.db["runs"].update(run_id, _encode(redact_data(fields)))

    def mark_started(self, run_id: str, pid: int) -> int:
        """Status running, pid, heartbeat now; returns the attempt number (1, 2, ... on resumes)."""
        with self._lock, self._write():
            row = self.db.execute(
                "SELECT attempts, started_at FROM runs WHERE id = ?", [run_id]
            ).fetchone()
            attempt = (row[0] or 0) + 1
            now = time.time()
            self.db["runs"].update(run_id, {
                "status": "running", "pid": pid, "heartbeat": now, "attempts": attempt,
                "started_at": row[1] or now, "reason": None, "traceback": None, "finished_at": None,
            })  # fmt: skip
        return attempt

    def heartbeat(self, run_id: str) -> None:
        with self._lock, self._write():
            self.db.execute("UPDATE runs SET heartbeat = ? WHERE id = ?", [time.time(), run_id])

    def finish_run(
        self,
        run_id: str,
        status: str,
        reason: str | None = None,
        traceback: str | None = None,
        **fields: Any,
    ) -> None:
        """Final status (finished / stopped: budget / cancelled / failed) with reason and extras."""
        self.update_run(
            run_id,
            status=status,
            reason=reason,
            traceback=traceback,
            finished_at=time.time(),
            **fields,
        )

    def request_cancel(self, run_id: str) -> None:
        """Ask the run's worker to stop after the current trial."""
        with self._lock, self._write():
            self.db.execute("UPDATE runs SET cancel_requested = 1 WHERE id = ?", [run_id])

    def delete_run(self, run_id: str) -> None:
        """Remove a run and everything recorded for it."""
        with self._lock, self._write():
            for table in ("events", "lm_calls", "example_results", "trials", "candidates"):
                self.db.execute(f"DELETE FROM {table} WHERE run_id = ?", [run_id])
            self.db.execute("DELETE FROM runs WHERE id = ?", [run_id])

    # -- recording --------------------------------------------------------------------------
    def record_event(self, run_id: str, event: Any) -> None:
        """Store one optimizer Event (and what it says about candidates, trials, the best)."""
        data = redact_data(dict(event.data))  # provider errors may quote an API key
        light = dict(data)
        bulky = _LIGHT_EVENT_KEYS.get(event.type)
        if bulky and bulky in light:
            light[bulky] = (
                len(light[bulky]) if isinstance(light[bulky], list) else "stored separately"
            )
        with self._lock, self._write():
            self.db.execute(
                "INSERT OR REPLACE INTO events (run_id, seq, type, time, data)"
                " VALUES (?, ?, ?, ?, ?)",
                [run_id, event.seq, event.type, event.time, dumps(light)],
            )
            handler = getattr(self, f"_on_{event.type}", None)
            if handler is not None:
                handler(run_id, event, data)

    def _on_candidate(self, run_id: str, event: Any, data: dict[str, Any]) -> None:
        self.db.execute(
            "INSERT OR IGNORE INTO candidates"
            " (run_id, hash, parents, origin, state, created_at, seq)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                data.get("hash"),
                dumps(data.get("parents", [])),
                data.get("origin", ""),
                dumps(data.get("state")),
                event.time,
                event.seq,
            ],
        )

    def _on_trial(self, run_id: str, event: Any, data: dict[str, Any]) -> None:
        rows = data.get("rows") or []
        scores = {str(r.get("example_id")): r.get("score") for r in rows}
        self.db.execute(
            "INSERT OR REPLACE INTO trials"
            " (run_id, number, candidate, subset, score, n, errors, usage,"
            " wall_time, example_scores, time, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                data.get("number"),
                data.get("candidate"),
                data.get("subset"),
                data.get("score"),
                data.get("n", len(rows)),
                data.get("errors", 0),
                dumps(data.get("usage")),
                data.get("wall_time"),
                dumps(scores),
                event.time,
                event.seq,
            ],
        )
        for r in rows:
            self.db.execute(
                "INSERT OR IGNORE INTO example_results (run_id, candidate, example_id, subset, idx,"
                " inputs, outputs, score, error, trial, feedback, trace)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    run_id,
                    data.get("candidate"),
                    r.get("example_id"),
                    data.get("subset"),
                    r.get("index"),
                    dumps(r.get("inputs")),
                    dumps(r.get("outputs")),
                    r.get("score"),
                    r.get("error"),
                    data.get("number"),
                    r.get("feedback"),
                    dumps(r.get("trace")),
                ],
            )

    def _on_best_changed(self, run_id: str, event: Any, data: dict[str, Any]) -> None:
        self.db["runs"].update(
            run_id, {"best_candidate": data.get("candidate"), "best_score": data.get("score")}
        )

    def _on_run_started(self, run_id: str, event: Any, data: dict[str, Any]) -> None:
        fields = {"estimate": dumps(data.get("estimate"))}
        if data.get("optimizer"):
            fields["optimizer"] = data["optimizer"]
        self.db["runs"].update(run_id, fields)

    def _on_run_finished(self, run_id: str, event: Any, data: dict[str, Any]) -> None:
        self.db["runs"].update(run_id, {
            "baseline_score": data.get("baseline_score"), "best_score": data.get("best_score"),
            "best_candidate": data.get("best_candidate"),
        })  # fmt: skip

    def sink(self, run_id: str) -> Callable[[Any], None]:
        """An EventRecorder sink writing this run's events."""
        return lambda event: self.record_event(run_id, event)

    def record_call(self, run_id: str, record: Any, attempt: int = 1) -> None:
        """Store one LM CallRecord (a UsageLedger listener calls this as each call happens)."""
        with self._lock, self._write():
            self.db.execute(
                "INSERT INTO lm_calls (run_id, attempt, model, role, prompt_tokens,"
                " completion_tokens, cost, latency, cache_hit, error, timestamp,"
                " fault, retries, retried) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    run_id,
                    attempt,
                    record.model,
                    record.role,
                    record.prompt_tokens,
                    record.completion_tokens,
                    record.cost,
                    record.latency,
                    int(bool(record.cache_hit)),
                    redact(record.error),
                    record.timestamp,
                    getattr(record, "fault", None),
                    getattr(record, "retries", 0),
                    dumps(getattr(record, "retried", None) or None),
                ],
            )

    def call_listener(self, run_id: str, attempt: int = 1) -> Callable[[Any], None]:
        """A UsageLedger listener writing this run's LM calls."""
        return lambda record: self.record_call(run_id, record, attempt)


def _encode(fields: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (dumps(v) if k in RUN_JSON_COLUMNS and not isinstance(v, str) and v is not None else v)
        for k, v in fields.items()
    }


# -- readers with a fresh connection per call (for the dashboard) -----------------------------
def _fresh(method: str) -> Callable[..., Any]:
    def read(*args: Any, db_path: str | Path | None = None, **kwargs: Any) -> Any:
        store = RunStore(db_path)
        try:
            return getattr(store, method)(*args, **kwargs)
        finally:
            store.close()

    read.__name__ = method
    read.__doc__ = f"`RunStore(db_path).{method}(...)` on a fresh connection. " + (
        getattr(StoreReader, method, getattr(RunStore, method)).__doc__ or ""
    )
    return read


list_runs = _fresh("list_runs")
get_run = _fresh("get_run")
trials = _fresh("trials")
candidates = _fresh("candidates")
example_results = _fresh("example_results")
events = _fresh("events")
usage = _fresh("usage")
fault_summary = _fresh("fault_summary")
lm_calls = _fresh("lm_calls")
request_cancel = _fresh("request_cancel")
