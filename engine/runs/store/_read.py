"""Read side of the run store: what the dashboard, the CLI and a resuming worker ask for."""

from __future__ import annotations

import sqlite3
import threading
from typing import Any

from sqlalchemy.exc import DBAPIError

from engine.lm.usage import CallRecord
from engine.runs.store._schema import (
    RESULT_JSON_COLUMNS,
    RUN_JSON_COLUMNS,
    damaged_store,
    decode,
    is_damage,
    loads,
)


class StoreReader:
    """Query methods of RunStore (needs `self.db`, a StoreDB, and `self._lock`)."""

    db: Any
    _lock: threading.RLock

    def _rows(self, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        try:
            with self._lock:
                return self.db.retrying(lambda: self.db.rows(sql, params))
        except (DBAPIError, sqlite3.DatabaseError) as exc:  # a bad page: say so, no traceback
            if is_damage(exc):
                raise damaged_store(getattr(self, "path", "the run store"), exc) from None
            raise

    def _value(self, sql: str, params: dict[str, Any]) -> Any:
        rows = self._rows(sql, params)
        return next(iter(rows[0].values())) if rows else None

    # runs -----------------------------------------------------------------------------------
    def list_runs(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Runs, newest first, without the bulky columns (spec, program); JSON columns parsed."""
        sql = (
            "SELECT id, name, status, reason, optimizer, optimizer_reason, created_at, started_at,"
            " finished_at, heartbeat, pid, attempts, cancel_requested, baseline_score, best_score,"
            " best_candidate, test_baseline, test_best, comparison, usage, sizes FROM runs"
            " ORDER BY created_at DESC, id DESC"
        )
        rows = self._rows(sql + (f" LIMIT {int(limit)}" if limit else ""))
        return [decode(r, RUN_JSON_COLUMNS) for r in rows]

    def get_run(self, run_id: str) -> dict[str, Any] | None:
        """One run with every column (spec and best program state parsed), or None."""
        rows = self._rows("SELECT * FROM runs WHERE id = :id", {"id": run_id})
        return decode(rows[0], RUN_JSON_COLUMNS) if rows else None

    def cancel_requested(self, run_id: str) -> bool:
        return bool(self._value("SELECT cancel_requested FROM runs WHERE id = :id", {"id": run_id}))

    # optimization records -------------------------------------------------------------------
    def trials(self, run_id: str, subset: str | None = None) -> list[dict[str, Any]]:
        """Trials in number order: number, candidate, subset, score, n, errors, usage, ..."""
        sql, params = "SELECT * FROM trials WHERE run_id = :id", {"id": run_id, "subset": subset}
        if subset is not None:
            sql += " AND subset = :subset"
        return [
            decode(r, ("usage", "example_scores"))
            for r in self._rows(sql + " ORDER BY number", params)
        ]

    def candidates(self, run_id: str) -> list[dict[str, Any]]:
        """Candidates in the order they were made: hash, parents, origin, state."""
        rows = self._rows(
            "SELECT * FROM candidates WHERE run_id = :id ORDER BY seq, created_at", {"id": run_id}
        )
        return [decode(r, ("parents", "state")) for r in rows]

    def example_results(
        self, run_id: str, candidate: str | None = None, subset: str | None = None
    ) -> list[dict[str, Any]]:
        """Per-example outcomes (inputs, outputs, score, error, feedback, trace), maybe of one
        candidate/subset."""
        sql = "SELECT * FROM example_results WHERE run_id = :id"
        params = {"id": run_id, "candidate": candidate, "subset": subset}
        if candidate is not None:
            sql += " AND candidate = :candidate"
        if subset is not None:
            sql += " AND subset = :subset"
        rows = self._rows(sql + " ORDER BY trial, idx", params)
        return [decode(r, RESULT_JSON_COLUMNS) for r in rows]

    def events(
        self,
        run_id: str,
        after_seq: int = 0,
        types: list[str] | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Events with seq > after_seq (poll with the last seq seen). Trial rows and candidate
        states are not repeated here; read them with example_results() / candidates()."""
        sql = "SELECT seq, type, time, data FROM events WHERE run_id = :id AND seq > :after"
        params: dict[str, Any] = {"id": run_id, "after": after_seq}
        if types:
            sql += " AND type IN (" + ", ".join(f":t{i}" for i in range(len(types))) + ")"
            params.update({f"t{i}": t for i, t in enumerate(types)})
        sql += " ORDER BY seq" + (f" LIMIT {int(limit)}" if limit else "")
        return [decode(r, ("data",)) for r in self._rows(sql, params)]

    def last_seq(self, run_id: str) -> int:
        return int(
            self._value("SELECT MAX(seq) FROM events WHERE run_id = :id", {"id": run_id}) or 0
        )

    def lm_calls(self, run_id: str) -> list[dict[str, Any]]:
        """Every recorded LM call of the run, in order."""
        return self._rows("SELECT * FROM lm_calls WHERE run_id = :id ORDER BY id", {"id": run_id})

    def usage(self, run_id: str) -> dict[str, Any]:
        """Totals over the run's LM calls (all attempts), plus by_role and by_model breakdowns."""
        select = (
            "SELECT COUNT(*) AS calls, SUM(1 - cache_hit) AS uncached_calls,"
            " SUM(cache_hit) AS cache_hits,"
            " SUM(CASE WHEN cache_hit = 0 THEN prompt_tokens ELSE 0 END) AS prompt_tokens,"
            " SUM(CASE WHEN cache_hit = 0 THEN completion_tokens ELSE 0 END) AS completion_tokens,"
            " SUM(CASE WHEN cache_hit = 0 THEN COALESCE(cost, 0) ELSE 0 END) AS cost,"
            " SUM(CASE WHEN cost IS NULL AND cache_hit = 0 THEN 1 ELSE 0 END) AS unpriced,"
            " SUM(CASE WHEN error IS NOT NULL THEN 1 ELSE 0 END) AS errors, SUM(latency) AS latency"
        )
        total = _usage_row(
            self._rows(select + " FROM lm_calls WHERE run_id = :id", {"id": run_id})[0]
        )
        for key, column in (("by_role", "role"), ("by_model", "model")):
            rows = self._rows(
                f"{select}, {column} AS k FROM lm_calls WHERE run_id = :id GROUP BY {column}",
                {"id": run_id},
            )
            total[key] = {r.pop("k"): _usage_row(r) for r in rows}
        return total

    def fault_summary(self, run_id: str) -> dict[str, Any]:
        """LM faults of the run: {"retried_calls", "failed_calls", "failed_after_retries",
        "by_kind": {kind: n}} (by_kind counts every retried attempt and every call's final
        fault, e.g. an error after retries, an empty or truncated reply)."""
        rows = self._rows(
            "SELECT error, fault, retries, retried FROM lm_calls WHERE run_id = :id"
            " AND (error IS NOT NULL OR fault IS NOT NULL OR retries > 0)",
            {"id": run_id},
        )
        by_kind: dict[str, int] = {}
        out = {"retried_calls": 0, "failed_calls": 0, "failed_after_retries": 0}
        for row in rows:
            for kind, n in (loads(row["retried"]) or {}).items():
                by_kind[kind] = by_kind.get(kind, 0) + int(n)
            if row["fault"] or row["error"]:
                kind = row["fault"] or "other"
                by_kind[kind] = by_kind.get(kind, 0) + 1
            out["retried_calls"] += bool(row["retries"])
            out["failed_calls"] += row["error"] is not None
            out["failed_after_retries"] += row["error"] is not None and bool(row["retries"])
        return {**out, "by_kind": dict(sorted(by_kind.items()))}

    # resume ---------------------------------------------------------------------------------
    def known_results(self, run_id: str) -> dict[tuple[str, str], dict[str, Any]]:
        """(candidate hash, example_id) -> trial row, for RunContext.known_results on resume."""
        out = {}
        for r in self.example_results(run_id):
            out[(r["candidate"], r["example_id"])] = {
                "example_id": r["example_id"], "index": r["idx"], "inputs": r["inputs"],
                "outputs": r["outputs"], "score": r["score"], "error": r["error"],
                "feedback": r.get("feedback"), "trace": r.get("trace"),
            }  # fmt: skip
        return out

    def known_call_records(self, run_id: str) -> list[Any]:
        """The run's stored LM calls as CallRecords (to pre-fill a resumed run's ledger)."""
        return [
            CallRecord(model=r["model"], role=r["role"], prompt_tokens=r["prompt_tokens"] or 0,
                       completion_tokens=r["completion_tokens"] or 0, cost=r["cost"],
                       latency=r["latency"] or 0.0, cache_hit=bool(r["cache_hit"]),
                       error=r["error"], timestamp=r["timestamp"] or 0.0,
                       fault=r.get("fault"), retried=loads(r.get("retried")) or {})
            for r in self.lm_calls(run_id)
        ]  # fmt: skip


def _usage_row(row: dict[str, Any]) -> dict[str, Any]:
    out = {k: (v or 0) for k, v in row.items()}
    out["total_tokens"] = out["prompt_tokens"] + out["completion_tokens"]
    out["priced"] = out.pop("unpriced") == 0
    out["cost"] = float(out["cost"])
    return out


__all__ = ["StoreReader", "loads"]
