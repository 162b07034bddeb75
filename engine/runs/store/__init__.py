"""The run store: runs, candidates, trials, example results, LM calls and events, in SQLite
or PostgreSQL (its location, schema, one connection, the read side).
"""
# ruff: noqa: I001 (a list of names, kept compact)

from engine.runs.store._schema import (
    default_db_path, is_url, local_dir, shown, STORE_ENV, store_location, StoreAt, study_url,
)
from engine.runs.store._store import (
    ACTIVE, candidates, events, example_results, fault_summary, get_run, list_runs, lm_calls,
    request_cancel, RunStore, TERMINAL, trials, usage,
)

__all__ = [
    "ACTIVE", "candidates", "default_db_path", "events", "example_results", "fault_summary",
    "get_run", "is_url", "list_runs", "lm_calls", "local_dir", "request_cancel", "RunStore",
    "shown", "STORE_ENV", "store_location", "StoreAt", "study_url", "TERMINAL", "trials", "usage",
]  # fmt: skip
