"""The run store's location (a SQLite file, or a PostgreSQL database named by URL) and its
tables, one definition for both (SQLAlchemy Core)."""

from __future__ import annotations

import json
import os
import re
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Float, Index, Integer, MetaData, Table, Text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from engine.core import StoreError

HOME_ENV = "TUNESMITH_HOME"
STORE_ENV = "TUNESMITH_STORE"  # a PostgreSQL URL (or a SQLite file) instead of the default file
DATA_DIR = "tunesmith_data"
DB_FILE = "runs.db"
POSTGRES_SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://")

StoreAt = str | Path  # a SQLite file, or a postgresql:// URL

_META = MetaData()


def _text(*names: str) -> list[Column]:
    return [Column(n, Text) for n in names]


Table(
    "runs", _META, Column("id", Text, primary_key=True),
    *_text("name", "description", "spec", "base_dir", "status", "reason", "traceback",
           "optimizer", "optimizer_reason"),
    *(Column(n, Float) for n in ("created_at", "started_at", "finished_at", "heartbeat")),
    Column("pid", Integer), Column("attempts", Integer, server_default="0"),
    Column("cancel_requested", Integer, server_default="0"),
    Column("baseline_score", Float), Column("best_score", Float),
    *_text("best_candidate", "baseline_candidate"),
    Column("test_baseline", Float), Column("test_best", Float),
    *_text("comparison", "usage", "estimate", "program", "sizes", "log_path", "host", "settings"),
)  # fmt: skip
Table(
    "candidates", _META, Column("run_id", Text, primary_key=True),
    Column("hash", Text, primary_key=True), *_text("parents", "origin", "state"),
    Column("created_at", Float), Column("seq", Integer),
)  # fmt: skip
Table(
    "trials", _META, Column("run_id", Text, primary_key=True),
    Column("number", Integer, primary_key=True), *_text("candidate", "subset"),
    Column("score", Float), Column("n", Integer), Column("errors", Integer), Column("usage", Text),
    Column("wall_time", Float), Column("example_scores", Text), Column("time", Float),
    Column("seq", Integer), Index("idx_trials_run", "run_id", "number"),
)  # fmt: skip
Table(
    "example_results", _META, Column("run_id", Text, primary_key=True),
    Column("candidate", Text, primary_key=True), Column("example_id", Text, primary_key=True),
    Column("subset", Text), Column("idx", Integer), *_text("inputs", "outputs"),
    Column("score", Float), Column("error", Text), Column("trial", Integer),
    *_text("feedback", "trace"), Index("idx_results_run", "run_id", "candidate"),
)  # fmt: skip
Table(
    "lm_calls", _META, Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Text), Column("attempt", Integer), *_text("model", "role"),
    Column("prompt_tokens", Integer), Column("completion_tokens", Integer), Column("cost", Float),
    Column("latency", Float), Column("cache_hit", Integer), Column("error", Text),
    Column("timestamp", Float), Column("fault", Text), Column("retries", Integer),
    Column("retried", Text), Index("idx_lm_calls_run", "run_id"), sqlite_autoincrement=True,
)  # fmt: skip
Table(
    "events", _META, Column("run_id", Text, primary_key=True),
    Column("seq", Integer, primary_key=True), *_text("type"), Column("time", Float),
    Column("data", Text),
)  # fmt: skip
Table(  # a project's prompt versions (engine.runs.versions): one of them is in use
    "versions", _META, Column("project", Text, primary_key=True),
    Column("number", Integer, primary_key=True),
    *_text("run_id", "candidate", "origin", "made_by", "optimizer"),
    Column("created_at", Float), Column("test_score", Float), Column("val_score", Float),
    Column("in_use", Integer, server_default="0"), Column("used_at", Float),
)  # fmt: skip
TABLES = _META.tables
# each table's key: what an "insert or replace / ignore" matches on
KEYS = {name: tuple(c.name for c in table.primary_key) for name, table in TABLES.items()}

# columns added after a store was first written: (table, column, type); added on connect
MIGRATIONS = (
    ("example_results", "feedback", "TEXT"),  # the metric's words about the score
    ("example_results", "trace", "TEXT"),  # JSON: [{predictor, inputs, outputs}] per step
    ("lm_calls", "fault", "TEXT"),  # kind of fault the call ended with (error_map.FAULT_KINDS)
    ("lm_calls", "retries", "INTEGER"),  # failed attempts that were retried
    ("lm_calls", "retried", "TEXT"),  # JSON: {kind: n} of those attempts
    ("runs", "host", "TEXT"),  # the machine of the run's worker (its pid means something there)
    ("runs", "settings", "TEXT"),  # JSON: the optimizer's settings as the run built it
)

# columns of runs that hold JSON text
RUN_JSON_COLUMNS = ("spec", "comparison", "usage", "estimate", "program", "sizes", "settings")
# columns of example_results that hold JSON text
RESULT_JSON_COLUMNS = ("inputs", "outputs", "trace")


def default_db_path() -> Path:
    """`$TUNESMITH_HOME/tunesmith_data/runs.db`, else `./tunesmith_data/runs.db`."""
    return data_dir() / DB_FILE


def data_dir() -> Path:
    """`$TUNESMITH_HOME/tunesmith_data`, else `./tunesmith_data`: logs, run folders, LM cache."""
    home = os.environ.get(HOME_ENV)
    return (Path(home).expanduser() if home else Path.cwd()) / DATA_DIR


def is_url(store_at: StoreAt | None) -> bool:
    """True when `store_at` names a PostgreSQL database (postgresql://...)."""
    return isinstance(store_at, str) and store_at.startswith(POSTGRES_SCHEMES)


def store_location(store_at: StoreAt | None = None) -> StoreAt:
    """Where the store is: `store_at` if given, else $TUNESMITH_STORE, else the default file.
    A PostgreSQL URL stays a string; anything else is a SQLite file's Path."""
    if store_at is None or store_at == "":
        store_at = os.environ.get(STORE_ENV, "").strip() or default_db_path()
    if is_url(store_at):
        return str(store_at)
    if isinstance(store_at, str) and "://" in store_at:
        raise StoreError(
            f"The run store {shown(store_at)} is neither a file nor a postgresql:// URL. Set "
            f"{STORE_ENV} to postgresql://user:password@host:5432/database, or leave it unset "
            f"for the default file under {DATA_DIR}/."
        )
    return Path(store_at)


def local_dir(store_at: StoreAt | None = None) -> Path:
    """The folder for this machine's files of the store's runs (logs, run folders, LM cache):
    beside a SQLite file, else `data_dir()`."""
    where = store_location(store_at)
    return data_dir() if isinstance(where, str) else where.parent


def shown(store_at: StoreAt) -> str:
    """The store's location for messages and logs: a URL without its password (in the URL's
    user part or as a `password=` parameter)."""
    if not is_url(store_at):
        return str(store_at)
    try:
        shown_url = make_url(str(store_at)).render_as_string(hide_password=True)
        return re.sub(r"([?&]password=)[^&]*", r"\1***", shown_url)
    except ArgumentError:
        return "a postgresql:// URL that cannot be read"


def sqlalchemy_url(store_at: StoreAt) -> str:
    """The SQLAlchemy URL of a location: sqlite:///file, or postgresql+psycopg://..."""
    if not is_url(store_at):
        return f"sqlite:///{Path(store_at)}"
    rest = str(store_at).split("://", 1)[1]
    return "postgresql+psycopg://" + rest


STUDY_SCHEMA = "optuna"  # PostgreSQL: Optuna's own tables (it has a `trials` too) go here


def study_url(store_at: StoreAt) -> str:
    """The SQLAlchemy URL of Optuna's storage in the store's PostgreSQL database: the same
    database, Optuna's tables in their own schema (STUDY_SCHEMA)."""
    url = sqlalchemy_url(store_at)
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}options=-csearch_path%3D{STUDY_SCHEMA}"


def is_damage(exc: BaseException) -> bool:
    """True for SQLite errors that mean the file itself is bad (not "database is locked")."""
    if isinstance(exc, DBAPIError):
        exc = exc.orig
    if not isinstance(exc, sqlite3.DatabaseError):
        return False
    text = str(exc).lower()
    markers = ("not a database", "malformed", "file is encrypted", "disk image", "corrupt")
    return any(m in text for m in markers) or type(exc) is sqlite3.DatabaseError


def damaged_store(path: str | Path, exc: BaseException) -> StoreError:
    """The error to raise when the store file at `path` cannot be read (`is_damage(exc)`)."""
    if isinstance(exc, DBAPIError):
        exc = exc.orig
    path = Path(path)
    return StoreError(
        f"The run store {path} cannot be read ({exc}): the file is damaged or is not a "
        f"Tunesmith run store. Move it aside (e.g. rename it to {path.name}.damaged); "
        f"Tunesmith then starts a new, empty store. The runs in the damaged file cannot be shown."
    )


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
