"""One connection to the run store, SQLite or PostgreSQL: one code path (SQL that both accept,
:named parameters; SQLAlchemy for the URL, the pool, the tables), transactions the store
controls, and waiting out a lost PostgreSQL. Statements run on the driver's own cursor with the
SQL in its parameter style (made once per statement): SQLAlchemy's statement layer cost SQLite
a third of its write speed (bench.store, 1 writer).

SQLite: a file per store, WAL, synchronous=NORMAL, BUSY_SECONDS busy timeout; a write
transaction takes the write lock at BEGIN (BEGIN IMMEDIATE). PostgreSQL: a pooled engine per URL
per process; `transaction(exclusive=True)` also takes one advisory lock, so that a read, a check
and a write inside it are atomic across processes, as BEGIN IMMEDIATE makes them on SQLite; a
lock is waited for BUSY_SECONDS at most (lock_timeout). A lock held longer by someone else is a
StoreError saying the store is busy (and, for a file, which processes have it open); a store
that cannot be opened or set up (a bad URL option, no right to create tables) is a StoreError
quoting the database's reason.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import psycopg
from sqlalchemy import Connection, Engine, create_engine, inspect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from engine.core import StoreError
from engine.runs.store._schema import (
    _META,
    KEYS,
    MIGRATIONS,
    STUDY_SCHEMA,
    StoreAt,
    damaged_store,
    is_damage,
    is_url,
    shown,
    sqlalchemy_url,
    store_location,
)

logger = logging.getLogger(__name__)

STORE_LOCK = 0x7475_6E65  # the advisory lock of exclusive transactions on PostgreSQL ("tune")
RECONNECT_SECONDS = 120.0  # how long a store operation waits for a lost PostgreSQL to return
_BACKOFF = (0.25, 0.5, 1.0, 2.0, 4.0)  # seconds between attempts (the last one repeats)
BUSY_SECONDS = 30  # how long a statement waits for a lock another connection holds

_engines: dict[str, Engine] = {}  # PostgreSQL: one pooled engine per URL in this process
_ready: set[str] = set()  # PostgreSQL URLs whose tables this process created or checked
_engines_lock = threading.Lock()
T = TypeVar("T")
_NAMED = re.compile(r"(?<![:\w]):(\w+)")


@functools.lru_cache(maxsize=512)
def native(dialect: str, statement: str) -> str:
    """A statement with :named parameters in the driver's style: sqlite3 reads :name itself,
    psycopg wants %(name)s (and a literal % doubled)."""
    if dialect == "sqlite":
        return statement
    return _NAMED.sub(r"%(\1)s", statement.replace("%", "%%"))


def _engine(store_at: StoreAt) -> Engine:
    if not is_url(store_at):
        return create_engine(
            sqlalchemy_url(store_at), poolclass=NullPool,
            connect_args={"timeout": BUSY_SECONDS, "check_same_thread": False},
        )  # fmt: skip
    url = str(store_at)
    with _engines_lock:
        if url not in _engines:
            _engines[url] = create_engine(
                sqlalchemy_url(url), pool_pre_ping=True, pool_size=2, max_overflow=8,
                connect_args={"connect_timeout": 5},
            )  # fmt: skip
        return _engines[url]


def unreachable(exc: BaseException) -> bool:
    """True when `exc` says the PostgreSQL server is gone or not answering (wait and retry);
    False for everything else, SQLite's errors included."""
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        exc = exc.orig
    if is_busy(exc):
        return False
    return isinstance(exc, (psycopg.OperationalError, psycopg.InterfaceError))


def is_busy(exc: BaseException) -> bool:
    """True when `exc` says a lock another connection holds was waited for past the bound:
    SQLite's "database is locked", PostgreSQL's lock_timeout."""
    if isinstance(exc, DBAPIError):
        exc = exc.orig
    if isinstance(exc, sqlite3.OperationalError):
        return "locked" in str(exc).lower()
    return isinstance(exc, psycopg.errors.LockNotAvailable)


def _openers(path: Path) -> list[str]:
    """'pid 4242 (sqlite3)' for each other process of this machine that has the file open
    (Linux's /proc; those of other users and other systems are not seen)."""
    target, found = os.path.realpath(path), []
    for fds in Path("/proc").glob("[0-9]*/fd"):
        pid = int(fds.parent.name)
        with contextlib.suppress(OSError):
            if pid != os.getpid() and any(os.readlink(fd) == target for fd in fds.iterdir()):
                found.append(f"pid {pid} ({(fds.parent / 'comm').read_text().strip()})")
    return found


def busy_store(location: StoreAt) -> StoreError:
    """The error for a store whose lock was held past BUSY_SECONDS by someone else."""
    if is_url(location):
        who = (
            "another connection to the database held a lock on its tables for more than "
            f"{BUSY_SECONDS} s (PostgreSQL's pg_stat_activity names it)"
        )
    else:
        openers = _openers(Path(location))
        who = (
            f"another process held its write lock for more than {BUSY_SECONDS} s (processes "
            f"with it open: {', '.join(openers) or 'none seen from here'})"
        )
    return StoreError(
        f"The run store {shown(location)} is busy: {who}. Nothing was changed; wait until it "
        "is done or stop it, then try again."
    )


class StoreDB:
    """One connection to the store. Not thread-safe by itself (RunStore holds a lock)."""

    def __init__(self, store_at: StoreAt | None = None) -> None:
        self.location = store_location(store_at)
        self.dialect = "postgresql" if is_url(self.location) else "sqlite"
        if self.dialect == "sqlite":
            Path(self.location).parent.mkdir(parents=True, exist_ok=True)
        self._engine = _engine(self.location)
        self._depth = 0
        self._conn: Connection | None = None
        self._raw: Any = None
        self._wait_listeners: list[Callable[[float, int], None]] = []
        try:
            self._open()
        except (DBAPIError, sqlite3.DatabaseError, psycopg.Error) as exc:
            self.close()
            if is_damage(exc):
                raise damaged_store(self.location, exc) from None
            if is_busy(exc):
                raise busy_store(self.location) from None
            reason = (str(getattr(exc, "orig", None) or exc).strip() or repr(exc)).splitlines()[0]
            if unreachable(exc):
                raise StoreError(f"The run store {shown(self.location)} cannot be reached: "
                                 f"{reason}") from None  # fmt: skip
            raise StoreError(
                f"The run store {shown(self.location)} cannot be opened: {reason}. Check its "
                "location (for a URL: database, user and options such as search_path) and that "
                "its user may create tables there."
            ) from None

    # -- connection ------------------------------------------------------------------------
    def _open(self) -> None:
        self._conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        self._raw = self._conn.connection.dbapi_connection
        self._depth = 0
        if self.dialect == "sqlite":
            raw = self.conn
            if raw.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                raw.execute("PRAGMA journal_mode=WAL")
            raw.execute("PRAGMA synchronous=NORMAL")
            raw.execute(f"PRAGMA busy_timeout={BUSY_SECONDS * 1000}")
        else:
            self.execute("SELECT set_config('lock_timeout', :t, false)", {"t": f"{BUSY_SECONDS}s"})
            if str(self.location) in _ready:
                return
        # SQLite: a store already made is only read here, so a reader never waits for a writer
        with self.transaction(exclusive=True, write=False):
            _META.create_all(self._conn, checkfirst=True)
            self._migrate()
            if self.dialect == "postgresql":
                self.execute(f"CREATE SCHEMA IF NOT EXISTS {STUDY_SCHEMA}")
        if self.dialect == "postgresql":
            _ready.add(str(self.location))

    def _migrate(self) -> None:
        """Add the columns of MIGRATIONS that an older store lacks (its rows get NULL)."""
        inspector = inspect(self._conn)
        for table, column, kind in MIGRATIONS:
            if column in {c["name"] for c in inspector.get_columns(table)}:
                continue
            try:
                self.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
            except sqlite3.OperationalError as exc:  # another process added it meanwhile
                if "duplicate column" not in str(exc).lower():
                    raise

    @property
    def conn(self) -> Any:
        """The driver's own connection (sqlite3 / psycopg), e.g. for a trace callback."""
        if self._conn is None:
            raise StoreError(f"the run store {shown(self.location)} is closed")
        return self._raw

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except (DBAPIError, sqlite3.Error, psycopg.Error):
                pass  # the server went away: nothing to close cleanly
            self._conn = self._raw = None

    def table_names(self) -> list[str]:
        return inspect(self._conn).get_table_names()

    # -- statements ------------------------------------------------------------------------
    def execute(self, statement: str, params: dict[str, Any] | None = None) -> Any:
        """Run one statement with :named parameters; returns the driver's cursor."""
        if self._raw is None:
            raise StoreError(f"the run store {shown(self.location)} is closed")
        cursor = self._raw.cursor()
        try:
            cursor.execute(native(self.dialect, statement), params or {})
        except (sqlite3.OperationalError, psycopg.errors.LockNotAvailable) as exc:
            if is_busy(exc):
                raise busy_store(self.location) from None
            raise
        return cursor

    def rows(self, statement: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """The rows of a query as dicts (column name -> value)."""
        cursor = self.execute(statement, params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]

    def insert(self, table: str, row: dict[str, Any], on_conflict: str | None = None) -> None:
        """Insert a row; on a key already there: `None` raises, "replace" overwrites the row's
        other columns, "ignore" keeps the stored row."""
        self.execute(_insert_sql(table, tuple(row), on_conflict), row)

    def update(self, table: str, key: str, fields: dict[str, Any]) -> None:
        """Set columns of the row whose primary key is `key` (a one-column key)."""
        columns = tuple(fields)
        unknown = set(columns) - set(_META.tables[table].c.keys())
        if unknown:
            raise StoreError(f"the store's {table} table has no column {sorted(unknown)}")
        sets = ", ".join(f"{c} = :{c}" for c in columns)
        (pk,) = KEYS[table]
        self.execute(f"UPDATE {table} SET {sets} WHERE {pk} = :_key", {**fields, "_key": key})

    # -- transactions ----------------------------------------------------------------------
    @contextmanager
    def transaction(self, exclusive: bool = False, write: bool = True) -> Iterator[None]:
        """One transaction (nested calls join the outer one). SQLite takes the write lock at
        BEGIN unless not `write` (then at its first write, if any: a deferred one that reads
        before another process writes fails at once with "database is locked" when it writes);
        PostgreSQL takes the store's advisory lock when `exclusive`."""
        assert self._conn is not None, "the store is closed"
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self.execute("BEGIN IMMEDIATE" if self.dialect == "sqlite" and write else "BEGIN")
        self._depth = 1
        try:
            if exclusive and self.dialect == "postgresql":
                self.execute("SELECT pg_advisory_xact_lock(:k)", {"k": STORE_LOCK})
            yield
        except BaseException:
            self._depth = 0
            try:
                self.execute("ROLLBACK")
            except (sqlite3.Error, psycopg.Error):
                pass  # the connection is gone; the server rolled back
            raise
        self._depth = 0
        self.execute("COMMIT")

    # -- waiting out a lost server ---------------------------------------------------------
    def on_wait(self, listener: Callable[[float, int], None]) -> None:
        """Call `listener(seconds, attempts)` after an operation that had to wait for the
        server went through."""
        self._wait_listeners.append(listener)

    def retrying(self, operation: Callable[[], T]) -> T:
        """Run `operation`; when PostgreSQL is unreachable, reconnect with backoff and run it
        again, for up to RECONNECT_SECONDS (then StoreError). Inside a transaction, the error
        goes to the outermost operation, which runs the whole transaction again."""
        if self._depth:
            return operation()
        started, attempts = time.monotonic(), 0
        while True:
            try:
                if self._conn is None:  # the last attempt could not reconnect
                    self._open()
                result = operation()
                break
            except (DBAPIError, psycopg.Error) as exc:
                if not unreachable(exc):
                    raise
                waited = time.monotonic() - started
                if waited >= RECONNECT_SECONDS:
                    raise StoreError(
                        f"The run store {shown(self.location)} was unreachable for "
                        f"{waited:.0f} s: {getattr(exc, 'orig', exc)}"
                    ) from None
                delay = _BACKOFF[min(attempts, len(_BACKOFF) - 1)]
                attempts += 1
                logger.warning("run store unreachable, retry %d in %.2f s", attempts, delay)
                time.sleep(delay)
                self.close()
        if attempts:
            seconds = time.monotonic() - started
            for listener in list(self._wait_listeners):
                listener(seconds, attempts)
        return result


@functools.lru_cache(maxsize=256)
def _insert_sql(table: str, columns: tuple[str, ...], on_conflict: str | None) -> str:
    names = ", ".join(columns)
    values = ", ".join(f":{c}" for c in columns)
    statement = f"INSERT INTO {table} ({names}) VALUES ({values})"
    keys = KEYS[table]
    if on_conflict == "ignore":
        return statement + f" ON CONFLICT ({', '.join(keys)}) DO NOTHING"
    if on_conflict == "replace":
        sets = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in keys)
        return statement + f" ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {sets}"
    return statement
