"""The run store: runs, candidates, trials, example results, LM calls and events, in SQLite
(the default) or PostgreSQL (`TUNESMITH_STORE=postgresql://...`), one code path
(`engine.runs.store._db`).

The worker writes through one long-lived `RunStore` (short transactions, a lock so that worker
threads can share it); readers such as the dashboard open a fresh `RunStore` per script run,
or call the module-level helpers (`list_runs()`, `get_run(id)`, ...) which do that for them.
API keys are never written: nothing here receives one (specs cannot hold keys, LM call
records carry model names and counts only). As a last defence a spec is scanned for key-shaped
values and credentials in URLs before it is stored (refused), and run fields, events and call
errors are redacted (`engine.runs.spec._redact`).
"""

from __future__ import annotations

import functools
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from engine.core import SpecError, secret_problems
from engine.runs.spec import ProjectSpec, redact, redact_data
from engine.runs.store._db import StoreDB
from engine.runs.store._read import StoreReader
from engine.runs.store._schema import RUN_JSON_COLUMNS, StoreAt, dumps

ACTIVE = ("queued", "running")
TERMINAL = ("finished", "stopped: budget", "cancelled", "failed")
_LIGHT_EVENT_KEYS = {"trial": "rows", "candidate": "state"}  # bulky parts kept in their own tables
F = TypeVar("F", bound=Callable[..., Any])


def _retried(method: F) -> F:
    """A store operation that waits out a lost PostgreSQL server (StoreDB.retrying)."""

    @functools.wraps(method)
    def run(self: RunStore, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            return self.db.retrying(lambda: method(self, *args, **kwargs))

    return run  # type: ignore[return-value]


def new_run_id() -> str:
    """'20261121-183501-3fa2c1': sortable by time, unique, URL-friendly."""
    return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(3)


class RunStore(StoreReader):
    """One connection to the store. Thread-safe; every write is one short transaction.

    `path`: a SQLite file or a postgresql:// URL; default `store_location()` ($TUNESMITH_STORE,
    else the file under tunesmith_data/)."""

    def __init__(self, path: StoreAt | None = None) -> None:
        self.db = StoreDB(path)
        self.path: StoreAt = self.db.location
        self._lock = threading.RLock()

    def close(self) -> None:
        with self._lock:
            self.db.close()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """A write transaction taken at once (SQLite: BEGIN IMMEDIATE; PostgreSQL: the store's
        advisory lock), so that a read, a check and a write inside it are atomic across
        processes (two workers claiming one run)."""
        with self._lock, self.db.transaction(exclusive=True):
            yield

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- runs -------------------------------------------------------------------------------
    @_retried
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
        with self.db.transaction():
            self.db.insert("runs", _encode(row))
        return run_id

    @_retried
    def update_run(self, run_id: str, **fields: Any) -> None:
        """Set columns of a run (JSON columns are encoded)."""
        if not fields:
            return
        with self.db.transaction():
            self.db.update("runs", run_id, _encode(redact_data(fields)))

    @_retried
    def mark_started(self, run_id: str, pid: int) -> int:
        """Status running, pid, heartbeat now; returns the attempt number (1, 2, ... on resumes)."""
        with self.db.transaction():
            row = self.db.execute(
                "SELECT attempts, started_at FROM runs WHERE id = :id", {"id": run_id}
            ).fetchone()
            attempt = (row[0] or 0) + 1
            now = time.time()
            self.db.update("runs", run_id, {
                "status": "running", "pid": pid, "host": socket.gethostname(),
                "heartbeat": now, "attempts": attempt,
                "started_at": row[1] or now, "reason": None, "traceback": None, "finished_at": None,
            })  # fmt: skip
        return attempt

    @_retried
    def heartbeat(self, run_id: str) -> None:
        with self.db.transaction():
            self.db.execute(
                "UPDATE runs SET heartbeat = :t WHERE id = :id", {"t": time.time(), "id": run_id}
            )

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

    @_retried
    def request_cancel(self, run_id: str) -> None:
        """Ask the run's worker to stop after the current trial."""
        with self.db.transaction():
            self.db.execute("UPDATE runs SET cancel_requested = 1 WHERE id = :id", {"id": run_id})

    @_retried
    def delete_run(self, run_id: str) -> None:
        """Remove a run and everything recorded for it."""
        with self.db.transaction():
            for table in ("events", "lm_calls", "example_results", "trials", "candidates"):
                self.db.execute(f"DELETE FROM {table} WHERE run_id = :id", {"id": run_id})
            self.db.execute("DELETE FROM runs WHERE id = :id", {"id": run_id})

    # -- recording --------------------------------------------------------------------------
    @_retried
    def record_event(self, run_id: str, event: Any) -> None:
        """Store one optimizer Event (and what it says about candidates, trials, the best)."""
        data = redact_data(dict(event.data))  # provider errors may quote an API key
        light = dict(data)
        bulky = _LIGHT_EVENT_KEYS.get(event.type)
        if bulky and bulky in light:
            light[bulky] = (
                len(light[bulky]) if isinstance(light[bulky], list) else "stored separately"
            )
        with self.db.transaction():
            self.db.insert("events", {
                "run_id": run_id, "seq": event.seq, "type": event.type, "time": event.time,
                "data": dumps(light),
            }, on_conflict="replace")  # fmt: skip
            handler = getattr(self, f"_on_{event.type}", None)
            if handler is not None:
                handler(run_id, event, data)

    @_retried
    def append_event(self, run_id: str, type_: str, data: dict[str, Any]) -> None:
        """Add an event after the run's last one (a note kept with a finished run: a board of
        models, a re-tune started from it), its number taken in the same transaction."""
        with self.db.transaction(exclusive=True):
            row = self.db.execute(
                "SELECT MAX(seq) FROM events WHERE run_id = :id", {"id": run_id}
            ).fetchone()
            self.db.insert("events", {
                "run_id": run_id, "seq": (row[0] or 0) + 1, "type": type_, "time": time.time(),
                "data": dumps(redact_data(data)),
            })  # fmt: skip

    def _on_candidate(self, run_id: str, event: Any, data: dict[str, Any]) -> None:
        self.db.insert("candidates", {
            "run_id": run_id, "hash": data.get("hash"), "parents": dumps(data.get("parents", [])),
            "origin": data.get("origin", ""), "state": dumps(data.get("state")),
            "created_at": event.time, "seq": event.seq,
        }, on_conflict="ignore")  # fmt: skip

    def _on_trial(self, run_id: str, event: Any, data: dict[str, Any]) -> None:
        rows = data.get("rows") or []
        scores = {str(r.get("example_id")): r.get("score") for r in rows}
        self.db.insert("trials", {
            "run_id": run_id, "number": data.get("number"), "candidate": data.get("candidate"),
            "subset": data.get("subset"), "score": data.get("score"),
            "n": data.get("n", len(rows)), "errors": data.get("errors", 0),
            "usage": dumps(data.get("usage")), "wall_time": data.get("wall_time"),
            "example_scores": dumps(scores), "time": event.time, "seq": event.seq,
        }, on_conflict="replace")  # fmt: skip
        for r in rows:
            self.db.insert("example_results", {
                "run_id": run_id, "candidate": data.get("candidate"),
                "example_id": r.get("example_id"), "subset": data.get("subset"),
                "idx": r.get("index"), "inputs": dumps(r.get("inputs")),
                "outputs": dumps(r.get("outputs")), "score": r.get("score"),
                "error": r.get("error"), "trial": data.get("number"),
                "feedback": r.get("feedback"), "trace": dumps(r.get("trace")),
            }, on_conflict="ignore")  # fmt: skip

    def _on_best_changed(self, run_id: str, event: Any, data: dict[str, Any]) -> None:
        best = {"best_candidate": data.get("candidate"), "best_score": data.get("score")}
        self.db.update("runs", run_id, best)

    def _on_run_started(self, run_id: str, event: Any, data: dict[str, Any]) -> None:
        fields = {"estimate": dumps(data.get("estimate"))}
        if data.get("optimizer"):
            fields["optimizer"] = data["optimizer"]
        self.db.update("runs", run_id, fields)

    def _on_run_finished(self, run_id: str, event: Any, data: dict[str, Any]) -> None:
        fields = {
            "baseline_score": data.get("baseline_score"), "best_score": data.get("best_score"),
            "best_candidate": data.get("best_candidate"),
        }  # fmt: skip
        if data.get("estimate") is not None:  # as the search left it (a share done, ...)
            fields["estimate"] = dumps(data["estimate"])
        self.db.update("runs", run_id, fields)

    def sink(self, run_id: str) -> Callable[[Any], None]:
        """An EventRecorder sink writing this run's events."""
        return lambda event: self.record_event(run_id, event)

    @_retried
    def record_call(self, run_id: str, record: Any, attempt: int = 1) -> None:
        """Store one LM CallRecord (a UsageLedger listener calls this as each call happens)."""
        with self.db.transaction():
            self.db.insert("lm_calls", {
                "run_id": run_id, "attempt": attempt, "model": record.model, "role": record.role,
                "prompt_tokens": record.prompt_tokens,
                "completion_tokens": record.completion_tokens, "cost": record.cost,
                "latency": record.latency, "cache_hit": int(bool(record.cache_hit)),
                "error": redact(record.error), "timestamp": record.timestamp,
                "fault": getattr(record, "fault", None), "retries": getattr(record, "retries", 0),
                "retried": dumps(getattr(record, "retried", None) or None),
            })  # fmt: skip

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
    def read(*args: Any, db_path: StoreAt | None = None, **kwargs: Any) -> Any:
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
