"""The run store's SQLite file: where it lives, how it is opened, its tables."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import sqlite_utils

from engine.errors import StoreError

HOME_ENV = "TUNESMITH_HOME"
DATA_DIR = "tunesmith_data"
DB_FILE = "runs.db"

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY, name TEXT, description TEXT, spec TEXT, base_dir TEXT,
    status TEXT, reason TEXT, traceback TEXT, optimizer TEXT, optimizer_reason TEXT,
    created_at REAL, started_at REAL, finished_at REAL, heartbeat REAL, pid INTEGER,
    attempts INTEGER DEFAULT 0, cancel_requested INTEGER DEFAULT 0,
    baseline_score REAL, best_score REAL, best_candidate TEXT, baseline_candidate TEXT,
    test_baseline REAL, test_best REAL, comparison TEXT, usage TEXT, estimate TEXT,
    program TEXT, sizes TEXT, log_path TEXT
);
CREATE TABLE IF NOT EXISTS candidates (
    run_id TEXT, hash TEXT, parents TEXT, origin TEXT, state TEXT, created_at REAL, seq INTEGER,
    PRIMARY KEY (run_id, hash)
);
CREATE TABLE IF NOT EXISTS trials (
    run_id TEXT, number INTEGER, candidate TEXT, subset TEXT, score REAL, n INTEGER,
    errors INTEGER, usage TEXT, wall_time REAL, example_scores TEXT, time REAL, seq INTEGER,
    PRIMARY KEY (run_id, number)
);
CREATE TABLE IF NOT EXISTS example_results (
    run_id TEXT, candidate TEXT, example_id TEXT, subset TEXT, idx INTEGER, inputs TEXT,
    outputs TEXT, score REAL, error TEXT, trial INTEGER, feedback TEXT, trace TEXT,
    PRIMARY KEY (run_id, candidate, example_id)
);
CREATE TABLE IF NOT EXISTS lm_calls (
    id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT, attempt INTEGER, model TEXT, role TEXT,
    prompt_tokens INTEGER, completion_tokens INTEGER, cost REAL, latency REAL,
    cache_hit INTEGER, error TEXT, timestamp REAL
);
CREATE TABLE IF NOT EXISTS events (
    run_id TEXT, seq INTEGER, type TEXT, time REAL, data TEXT,
    PRIMARY KEY (run_id, seq)
);
CREATE INDEX IF NOT EXISTS idx_lm_calls_run ON lm_calls (run_id);
CREATE INDEX IF NOT EXISTS idx_trials_run ON trials (run_id, number);
CREATE INDEX IF NOT EXISTS idx_results_run ON example_results (run_id, candidate);
"""

# columns added after a store was first written: (table, column, type); added on connect
MIGRATIONS = (
    ("example_results", "feedback", "TEXT"),  # the metric's words about the score
    ("example_results", "trace", "TEXT"),  # JSON: [{predictor, inputs, outputs}] per step
    ("lm_calls", "fault", "TEXT"),  # kind of fault the call ended with (error_map.FAULT_KINDS)
    ("lm_calls", "retries", "INTEGER"),  # failed attempts that were retried
    ("lm_calls", "retried", "TEXT"),  # JSON: {kind: n} of those attempts
)

# columns of runs that hold JSON text
RUN_JSON_COLUMNS = ("spec", "comparison", "usage", "estimate", "program", "sizes")
# columns of example_results that hold JSON text
RESULT_JSON_COLUMNS = ("inputs", "outputs", "trace")


def default_db_path() -> Path:
    """`$TUNESMITH_HOME/tunesmith_data/runs.db`, else `./tunesmith_data/runs.db`."""
    home = os.environ.get(HOME_ENV)
    return (Path(home).expanduser() if home else Path.cwd()) / DATA_DIR / DB_FILE


def is_damage(exc: BaseException) -> bool:
    """True for SQLite errors that mean the file itself is bad (not "database is locked")."""
    if not isinstance(exc, sqlite3.DatabaseError):
        return False
    text = str(exc).lower()
    markers = ("not a database", "malformed", "file is encrypted", "disk image", "corrupt")
    return any(m in text for m in markers) or type(exc) is sqlite3.DatabaseError


def damaged_store(path: str | Path, exc: BaseException) -> StoreError:
    """The error to raise when the store file at `path` cannot be read (`is_damage(exc)`)."""
    path = Path(path)
    return StoreError(
        f"The run store {path} cannot be read ({exc}): the file is damaged or is not a "
        f"Tunesmith run store. Move it aside (e.g. rename it to {path.name}.damaged); "
        f"Tunesmith then starts a new, empty store. The runs in the damaged file cannot be shown."
    )


def connect(path: str | Path | None = None) -> sqlite_utils.Database:
    """Open (and create if needed) the store: WAL, synchronous=NORMAL, 30 s busy timeout.

    A file that is not a readable SQLite database raises StoreError saying what to do."""
    path = Path(path) if path is not None else default_db_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
    try:
        db = sqlite_utils.Database(conn)
        if db.journal_mode != "wal":
            db.enable_wal()
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA busy_timeout=30000")
        with db.atomic():
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            migrate(db)
    except sqlite3.DatabaseError as exc:
        conn.close()
        if is_damage(exc):
            raise damaged_store(path, exc) from None
        raise
    return db


def migrate(db: sqlite_utils.Database) -> None:
    """Add the columns of MIGRATIONS that an older store lacks (its rows get NULL)."""
    for table, column, kind in MIGRATIONS:
        have = {row[1] for row in db.execute(f"PRAGMA table_info({table})").fetchall()}
        if column in have:
            continue
        try:
            db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
        except sqlite3.OperationalError as exc:  # another process added it meanwhile
            if "duplicate column" not in str(exc).lower():
                raise


def dumps(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, default=str)


def loads(text: Any) -> Any:
    if text is None or text == "":
        return None
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return text


def decode(row: dict[str, Any], columns: tuple[str, ...]) -> dict[str, Any]:
    """Parse the JSON text columns of a row in place and return it."""
    for column in columns:
        if column in row:
            row[column] = loads(row[column])
    return row
