"""The battery's log: one JSON line per thing tried, read by report.py into docs/RELIABILITY.md.

The file is named by TUNESMITH_RELIABILITY_LOG (conftest.py sets it for a pytest session);
without it, records are dropped, so a test file also runs on its own.

A case writes what it observed through `observe(...)`: the block runs the attack or fault and
checks it; the record is written when the block ends, whatever happened, with `held` true only
when the block ran to its end (every check in it passed) and false, with the error, when a check
failed or the code under test raised. Every record names the test case that wrote it (`case`),
so report.py can also count a record as failed when its case failed after the block.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ENV = "TUNESMITH_RELIABILITY_LOG"
_LOCK = threading.Lock()


def log_path() -> Path | None:
    value = os.environ.get(ENV, "").strip()
    return Path(value) if value else None


def current_case() -> str | None:
    """The node id of the test case running in this process (pytest sets it, subprocesses
    inherit it), without the phase."""
    running = os.environ.get("PYTEST_CURRENT_TEST", "")
    return running.rsplit(" (", 1)[0] or None


def record(kind: str, **fields: Any) -> None:
    """Append {"kind": kind, "case": <test node id>, ...} as one line (a single write, so
    processes do not interleave)."""
    path = log_path()
    if path is None:
        return
    item = {"kind": kind, "case": current_case(), **fields}
    line = json.dumps(item, ensure_ascii=False, default=str) + "\n"
    with _LOCK, path.open("a", encoding="utf-8") as fh:
        fh.write(line)


class Observation:
    """What one case saw: `note(...)` sets fields of every record it writes, `add(...)` one
    record more (a case that never adds writes one record of the noted fields)."""

    def __init__(self, fields: dict[str, Any]) -> None:
        self.fields = dict(fields)
        self.items: list[dict[str, Any]] = []

    def note(self, **fields: Any) -> None:
        self.fields.update(fields)

    def add(self, **fields: Any) -> None:
        self.items.append(fields)

    def records(self) -> list[dict[str, Any]]:
        return [{**self.fields, **item} for item in self.items] or [dict(self.fields)]


@contextmanager
def observe(kind: str, **fields: Any) -> Iterator[Observation]:
    """Run a case's attack and checks in the block; write what it saw when the block ends
    (`held` from whether the block completed, never a constant). A skip writes nothing."""
    seen = Observation(fields)
    try:
        yield seen
    except pytest.skip.Exception:
        raise
    except BaseException as exc:
        error = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
        for item in seen.records():
            record(kind, **item, held=False, error=error)
        raise
    for item in seen.records():
        record(kind, **item, held=True)
