"""Request cache: an in-memory LRU in front of a SQLite file, shared by every LM in a process.

Cache key
---------
``sha256`` of the canonical JSON (sorted keys, no spaces, ASCII-escaped) of::

    {"model": <model name>, "model_type": "chat" | "text", "messages": [...],
     "params": {<sampling params>}, "rollout_id": <rollout_id or null>,
     "endpoint": {"api_base": ..., "api_version": ..., "headers": {...}}}

The model name carries the provider (``openai/...``). ``params`` are the merged call parameters
(LM defaults + call kwargs: temperature, max_tokens, n, stop, tools, response_format, ...) minus
what does not change what the model writes: credentials (``api_key``, ...), transport settings
(``num_retries``, ``timeout``, ...) and the cache switch itself. ``None`` values are dropped, so
``temperature=None`` and an absent temperature are the same request.

``endpoint`` (left out when empty, so keys of requests without one are unchanged) holds where
the request goes, since another server may answer differently: the endpoint URL (``api_base``,
or its alias ``base_url``; the LM's own, else the call's), normalised (scheme and host
lowercased, trailing ``/`` dropped, any ``user:password@`` removed), the ``api_version``, and the
request headers minus those that carry credentials (Authorization, ``*key*``, ``*token*``, ...).
The API key itself never enters the key: two LMs that differ only in their key share entries.
``rollout_id`` is part of the key on purpose: a new rollout id forces a fresh sample even at
temperature 0. For an embedded model (``local/...``) the key also holds ``"weights"``: the name
of the GGUF file it runs, so replies of other weights behind the same name are never served.

Storage
-------
Memory: an LRU of recent entries (thread-safe). Disk: ``<dir>/lm_cache.sqlite`` in WAL mode,
where ``<dir>`` is ``$TUNESMITH_CACHE_DIR`` or ``~/.cache/tunesmith``. Several processes (the
dashboard and its run workers) can share the file. ``LM(cache=False)`` bypasses both layers.

Size cap (``disk_size_limit_bytes``, DSPy's default of 30 GB unless `configure_cache` says
otherwise): after each write, the oldest entries are deleted until the database's pages in use
fit in three quarters of the cap; the write-ahead log is checkpointed and cut back to a quarter
of it, so the two files stay under the cap (SQLite's shared-memory index, ``-shm``, 32 KiB while
a connection is open, aside). A file made before the cap (without auto-vacuum) keeps its size
until it is vacuumed, but reuses its freed pages instead of growing.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import re
import sqlite3
import sys
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from engine.core import LMConfigError, with_extras
from engine.lm.local import local_model_path

logger = logging.getLogger(__name__)

CACHE_DIR_ENV = "TUNESMITH_CACHE_DIR"
CACHE_FILE = "lm_cache.sqlite"
DISK_SIZE_LIMIT = 30_000_000_000  # DSPy's default cap, in bytes
MIN_DISK_SIZE_LIMIT = 256 * 1024  # below this the table, its index and the log do not fit

# Settings left out of the key's params: credentials and transport never change the model's
# output; the endpoint settings (api_base, base_url, api_version, headers without credentials)
# go into the key's "endpoint" instead (`request_endpoint`).
_SECRET_HEADER = re.compile(r"(?i)auth|key|token|secret|password|cookie|signature")
NON_SAMPLING_KEYS = frozenset(
    {
        "api_key",
        "api_base",
        "base_url",
        "api_version",
        "organization",
        "num_retries",
        "max_retries",
        "timeout",
        "request_timeout",
        "headers",
        "extra_headers",
        "metadata",
        "cache",
        "caching",
        "stream",
        "user",
        "rollout_id",
    }
)


_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=repr)


@dataclass(frozen=True)
class CacheEntry:
    """What a cached request returned."""

    texts: tuple[str, ...]
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float | None = None
    choice_scores: tuple[dict[str, Any], ...] = ()  # per text (`engine.lm.choice_scores`)
    extras: tuple[dict[str, Any], ...] = ()  # per text: native tool calls, reasoning (if any)

    def to_json(self) -> str:
        data = {
            "texts": list(self.texts),
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cost": self.cost,
        }
        if self.choice_scores:
            data["choice_scores"] = list(self.choice_scores)
        if any(self.extras):
            data["extras"] = list(self.extras)
        return json.dumps(data, ensure_ascii=False)

    def replies(self) -> list[str]:
        """The cached texts, each with its native extras (`engine.core._native_reply`)."""
        extras = list(self.extras) + [{}] * (len(self.texts) - len(self.extras))
        return [with_extras(text, found) for text, found in zip(self.texts, extras, strict=False)]

    @classmethod
    def from_json(cls, raw: str) -> CacheEntry:
        data = json.loads(raw)
        return cls(
            texts=tuple(data["texts"]),
            prompt_tokens=int(data.get("prompt_tokens", 0)),
            completion_tokens=int(data.get("completion_tokens", 0)),
            cost=data.get("cost"),
            choice_scores=tuple(data.get("choice_scores") or ()),
            extras=tuple(data.get("extras") or ()),
        )


def sampling_params(params: dict[str, Any]) -> dict[str, Any]:
    """The part of `params` that belongs in the cache key."""
    return {k: v for k, v in params.items() if k not in NON_SAMPLING_KEYS and v is not None}


def normalize_url(url: str) -> str:
    """`url` compared as an endpoint: trimmed, scheme and host lowercased, no credentials, no
    trailing slash ("HTTP://Host:8000/v1/" and "http://host:8000/v1" are one endpoint)."""
    text = url.strip()
    try:
        parts = urlsplit(text if "://" in text else f"//{text}")
    except ValueError:
        return text.rstrip("/")
    host = parts.netloc.rpartition("@")[2].lower()
    scheme = parts.scheme.lower()
    path = parts.path.rstrip("/")
    if "://" not in text:
        return urlunsplit(("", host, path, parts.query, "")).removeprefix("//")
    return urlunsplit((scheme, host, path, parts.query, ""))


def _safe_headers(headers: Any) -> dict[str, str]:
    if not isinstance(headers, dict):
        return {}
    return {
        str(name).lower(): str(value)
        for name, value in headers.items()
        if value is not None and not _SECRET_HEADER.search(str(name))
    }


def request_endpoint(params: dict[str, Any], api_base: str | None = None) -> dict[str, Any]:
    """Where a request goes, as it enters the cache key (see the module docstring); {} for the
    provider's default endpoint. The LM's `api_base` wins over one in `params`, as in the
    provider call."""
    endpoint: dict[str, Any] = {}
    url = api_base or params.get("api_base") or params.get("base_url")
    if isinstance(url, str) and url.strip():
        endpoint["api_base"] = normalize_url(url)
    version = params.get("api_version")
    if version is not None:
        endpoint["api_version"] = str(version).strip()
    headers = {**_safe_headers(params.get("headers")), **_safe_headers(params.get("extra_headers"))}
    if headers:
        endpoint["headers"] = headers
    return endpoint


def request_key(
    model: str,
    messages: list[dict[str, Any]],
    params: dict[str, Any],
    *,
    rollout_id: Any = None,
    model_type: str = "chat",
    api_base: str | None = None,
) -> str:
    """The cache key of one request (see the module docstring). `api_base` is the LM's
    endpoint (one in `params`, as `api_base` or `base_url`, counts when it is None)."""
    payload = {
        "model": model,
        "model_type": model_type,
        "messages": messages,
        "params": sampling_params(params),
        "rollout_id": rollout_id,
    }
    endpoint = request_endpoint(params, api_base)
    if endpoint:
        payload["endpoint"] = endpoint
    weights = local_weights(model)
    if weights is not None:
        payload["weights"] = weights
    blob = _ENCODER.encode(payload)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


@functools.lru_cache(maxsize=64)
def local_weights(model: str) -> str | None:
    """The GGUF file name behind an embedded model's name (None for other models, or when it
    cannot be found here: the call itself then says why)."""
    if not model.startswith("local/"):
        return None
    try:
        return local_model_path(model).name
    except LMConfigError:
        return None


def default_cache_dir() -> Path:
    """`$TUNESMITH_CACHE_DIR`, else `~/.cache/tunesmith`."""
    env = os.environ.get(CACHE_DIR_ENV)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "tunesmith"


class RequestCache:
    """Memory LRU + SQLite disk cache of LM responses. Safe to use from many threads."""

    def __init__(
        self,
        directory: Path | str | None,
        *,
        memory_size: int = 20_000,
        disk_size_limit: int | None = DISK_SIZE_LIMIT,
    ) -> None:
        self.directory = Path(directory) if directory is not None else None
        self.memory_size = memory_size
        self.disk_size_limit = disk_size_limit
        self._memory: OrderedDict[str, CacheEntry] = OrderedDict()
        self._lock = threading.Lock()
        self._db_lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._disk_failed = False

    # -- memory ---------------------------------------------------------------------------
    def _memory_get(self, key: str) -> CacheEntry | None:
        with self._lock:
            entry = self._memory.get(key)
            if entry is not None:
                self._memory.move_to_end(key)
            return entry

    def _memory_put(self, key: str, entry: CacheEntry) -> None:
        with self._lock:
            self._memory[key] = entry
            self._memory.move_to_end(key)
            while len(self._memory) > self.memory_size:
                self._memory.popitem(last=False)

    # -- disk -----------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection | None:
        if self._db is not None or self._disk_failed or self.directory is None:
            return self._db
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(
                self.directory / CACHE_FILE,
                timeout=30,
                check_same_thread=False,
                isolation_level=None,
            )
            db.execute("PRAGMA auto_vacuum=FULL")  # a new file shrinks as entries go
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            if self.disk_size_limit is not None:  # the log: at most a quarter of the cap
                log_bytes = self.disk_size_limit // 4
                pages = log_bytes // 2 // db.execute("PRAGMA page_size").fetchone()[0]
                db.execute(f"PRAGMA wal_autocheckpoint={min(1000, max(1, pages))}")
                db.execute(f"PRAGMA journal_size_limit={log_bytes}")
            db.execute(
                "CREATE TABLE IF NOT EXISTS responses ("
                " key TEXT PRIMARY KEY, model TEXT, entry TEXT NOT NULL, created REAL)"
            )
            db.execute("CREATE INDEX IF NOT EXISTS responses_created ON responses (created)")
            self._db = db
        except (OSError, sqlite3.Error) as exc:
            logger.warning("LM disk cache disabled (%s): %s", self.directory, exc)
            self._disk_failed = True
        return self._db

    def _disk_get(self, key: str) -> CacheEntry | None:
        with self._db_lock:
            db = self._connect()
            if db is None:
                return None
            try:
                row = db.execute("SELECT entry FROM responses WHERE key = ?", (key,)).fetchone()
            except sqlite3.Error as exc:
                logger.warning("LM disk cache read failed: %s", exc)
                return None
        if row is None:
            return None
        try:
            return CacheEntry.from_json(row[0])
        except (ValueError, KeyError, TypeError):
            return None

    def _disk_put(self, key: str, entry: CacheEntry, model: str) -> None:
        with self._db_lock:
            db = self._connect()
            if db is None:
                return
            try:
                db.execute(
                    "INSERT OR REPLACE INTO responses (key, model, entry, created)"
                    " VALUES (?, ?, ?, ?)",
                    (key, model, entry.to_json(), time.time()),
                )
                if self.disk_size_limit is not None:
                    self._evict_oldest(db, self.disk_size_limit * 3 // 4)
            except sqlite3.Error as exc:
                logger.warning("LM disk cache write failed: %s", exc)

    @staticmethod
    def _evict_oldest(db: sqlite3.Connection, budget: int) -> None:
        """Delete the oldest entries until the pages in use fit in `budget` bytes."""
        page_size = db.execute("PRAGMA page_size").fetchone()[0]
        while True:
            pages = db.execute("PRAGMA page_count").fetchone()[0]
            free = db.execute("PRAGMA freelist_count").fetchone()[0]
            if (pages - free) * page_size <= budget:
                return
            gone = db.execute(
                "DELETE FROM responses WHERE key IN"
                " (SELECT key FROM responses ORDER BY created LIMIT 8)"
            ).rowcount
            if gone == 0:
                return

    # -- public ---------------------------------------------------------------------------
    def get(self, key: str) -> CacheEntry | None:
        """The entry for `key` from memory, else from disk (then kept in memory), else None."""
        entry = self._memory_get(key)
        if entry is not None:
            return entry
        entry = self._disk_get(key)
        if entry is not None:
            self._memory_put(key, entry)
        return entry

    def put(self, key: str, entry: CacheEntry, *, model: str = "") -> None:
        """Store `entry` in memory and on disk."""
        self._memory_put(key, entry)
        self._disk_put(key, entry, model)

    def clear_memory(self) -> None:
        with self._lock:
            self._memory.clear()

    def clear(self) -> None:
        """Forget every entry, in memory and on disk."""
        self.clear_memory()
        with self._db_lock:
            db = self._connect()
            if db is not None:
                db.execute("DELETE FROM responses")

    def __len__(self) -> int:
        with self._lock:
            return len(self._memory)

    def close(self) -> None:
        with self._db_lock:
            if self._db is not None:
                self._db.close()
                self._db = None


_caches: dict[str | None, RequestCache] = {}
_caches_lock = threading.Lock()
_configured: list[RequestCache] = []  # set by configure_cache; replaces the per-directory caches


def get_cache() -> RequestCache:
    """The process-wide cache: the one `configure_cache` made, else the one of the current
    cache directory (see `default_cache_dir`)."""
    if _configured:
        return _configured[0]
    env = os.environ.get(CACHE_DIR_ENV)
    cache = _caches.get(env)
    if cache is not None:
        return cache
    with _caches_lock:
        cache = _caches.get(env)
        if cache is None:
            cache = _caches[env] = RequestCache(default_cache_dir())
    return cache


def configure_cache(
    enable_disk_cache: bool | None = True,
    enable_memory_cache: bool | None = True,
    disk_cache_dir: str | Path | None = None,
    disk_size_limit_bytes: int | None = DISK_SIZE_LIMIT,
    memory_max_entries: int = 1_000_000,
    restrict_pickle: bool = False,
    safe_types: list[type] | None = None,
) -> RequestCache:
    """DSPy's `configure_cache`: replace the process-wide LM cache (every LM with `cache=True`).

    `disk_cache_dir=None` keeps the default directory. `disk_size_limit_bytes` caps the disk
    file (the oldest entries go first; None: no cap). The disk layer is SQLite holding JSON,
    so `restrict_pickle` and `safe_types` are accepted and have nothing to restrict. Returns the
    new cache."""
    del restrict_pickle, safe_types  # nothing is pickled
    if memory_max_entries is not None and memory_max_entries < 0:
        raise ValueError(f"memory_max_entries must be >= 0, got {memory_max_entries!r}")
    limit = disk_size_limit_bytes
    if limit is not None and (
        isinstance(limit, bool) or not isinstance(limit, int) or limit < MIN_DISK_SIZE_LIMIT
    ):
        raise ValueError(
            f"disk_size_limit_bytes must be a whole number of bytes, at least "
            f"{MIN_DISK_SIZE_LIMIT} (256 KiB), or None for no cap; got {limit!r}"
        )
    directory = (disk_cache_dir or default_cache_dir()) if enable_disk_cache else None
    memory = int(min(memory_max_entries, sys.maxsize)) if enable_memory_cache else 0
    cache = RequestCache(directory, memory_size=memory, disk_size_limit=limit)
    with _caches_lock:
        _configured[:] = [cache]
    return cache
