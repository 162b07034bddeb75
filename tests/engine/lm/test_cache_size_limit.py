"""The disk cache's size cap (`configure_cache(disk_size_limit_bytes=...)`, DSPy's 30 GB by
default): the files on disk stay under it however much is written, the oldest entries go first,
a cap too small to hold anything is refused with a message, and None means no cap."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

import engine
from engine.lm import cache as lm_cache
from engine.lm.cache import CACHE_FILE, CacheEntry, RequestCache, configure_cache

CAP = 256 * 1024
ENTRY = "x" * 1500  # 400 of these are over 2 caps' worth


@pytest.fixture(autouse=True)
def _restore_process_cache():
    saved = list(lm_cache._configured)
    yield
    for cache in lm_cache._configured:
        cache.close()
    lm_cache._configured[:] = saved


def _on_disk(folder: Path) -> int:
    """The database and its write-ahead log, in bytes (the -shm index is SQLite's, 32 KiB)."""
    return sum(p.stat().st_size for p in folder.glob(f"{CACHE_FILE}*") if p.name[-4:] != "-shm")


def _fill(cache: RequestCache, folder: Path, n: int, start: int = 0) -> int:
    """Write n entries; the largest size the files reached after any write."""
    largest = 0
    for i in range(start, start + n):
        cache.put(f"key-{i}", CacheEntry(texts=(f"{ENTRY} {i}",)), model="m")
        largest = max(largest, _on_disk(folder))
    return largest


def test_the_files_stay_under_the_cap_and_the_oldest_entries_go(tmp_path: Path) -> None:
    cache = configure_cache(disk_cache_dir=tmp_path, disk_size_limit_bytes=CAP)
    assert cache.disk_size_limit == CAP and engine.cache is cache
    largest = _fill(cache, tmp_path, 400)
    assert 0.5 * CAP < largest <= CAP, largest  # it filled up to the cap, never past it
    cache.clear_memory()
    kept = [i for i in range(400) if cache.get(f"key-{i}") is not None]
    assert kept and kept == list(range(kept[0], 400)), kept[:5]  # the newest, in one run
    assert 40 < len(kept) < 200  # what fits in the cap, not everything and not nothing
    assert cache.get("key-399").texts == (f"{ENTRY} 399",)


def test_without_a_cap_nothing_is_evicted(tmp_path: Path) -> None:
    cache = configure_cache(disk_cache_dir=tmp_path, disk_size_limit_bytes=None)
    assert _fill(cache, tmp_path, 400) > 2 * CAP
    cache.clear_memory()
    assert all(cache.get(f"key-{i}") is not None for i in range(400))


def test_the_default_is_dspys_30_gb(tmp_path: Path) -> None:
    assert configure_cache(disk_cache_dir=tmp_path).disk_size_limit == 30_000_000_000
    assert RequestCache(tmp_path).disk_size_limit == 30_000_000_000  # the per-folder cache too


@pytest.mark.parametrize("limit", [0, -1, 1000, CAP - 1, 1.5e6, "1GB", True])
def test_a_cap_that_cannot_hold_anything_is_refused_saying_why(tmp_path: Path, limit) -> None:
    before = engine.cache
    with pytest.raises(ValueError, match=r"disk_size_limit_bytes must be a whole number of bytes, "
                       r"at least 262144 \(256 KiB\), or None for no cap"):  # fmt: skip
        configure_cache(disk_cache_dir=tmp_path, disk_size_limit_bytes=limit)
    assert engine.cache is before  # nothing changed


def test_a_file_made_before_the_cap_never_grows_past_its_size(tmp_path: Path) -> None:
    """An older cache file (no auto-vacuum, bigger than the cap): its entries are cut to the
    cap at the next write, and later writes reuse the freed pages instead of growing it (the
    index on the entries' age, made when it is first opened, adds its few pages)."""
    db = sqlite3.connect(tmp_path / CACHE_FILE)
    db.execute("CREATE TABLE responses (key TEXT PRIMARY KEY, model TEXT, entry TEXT NOT NULL,"
               " created REAL)")  # fmt: skip
    db.executemany(
        "INSERT INTO responses VALUES (?, 'm', ?, ?)",
        [(f"old-{i}", CacheEntry(texts=(ENTRY,)).to_json(), float(i)) for i in range(400)],
    )
    db.commit()
    db.close()
    size = (tmp_path / CACHE_FILE).stat().st_size
    assert size > 2 * CAP
    cache = RequestCache(tmp_path, disk_size_limit=CAP)
    _fill(cache, tmp_path, 400)
    cache.close()
    assert (tmp_path / CACHE_FILE).stat().st_size <= size + 4 * 4096
    rows = sqlite3.connect(tmp_path / CACHE_FILE).execute("SELECT key FROM responses").fetchall()
    assert rows and all(key.startswith("key-") for (key,) in rows)  # the old entries went first
    assert len(rows) < 200
