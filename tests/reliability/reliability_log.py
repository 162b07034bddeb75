"""The battery's log: one JSON line per thing tried, read by report.py into docs/RELIABILITY.md.

The file is named by TUNESMITH_RELIABILITY_LOG (conftest.py sets it for a pytest session);
without it, records are dropped, so a test file also runs on its own.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

ENV = "TUNESMITH_RELIABILITY_LOG"
_LOCK = threading.Lock()


def log_path() -> Path | None:
    value = os.environ.get(ENV, "").strip()
    return Path(value) if value else None


def record(kind: str, **fields: Any) -> None:
    """Append {"kind": kind, ...} as one line (a single write, so processes do not interleave)."""
    path = log_path()
    if path is None:
        return
    line = json.dumps({"kind": kind, **fields}, ensure_ascii=False, default=str) + "\n"
    with _LOCK, path.open("a", encoding="utf-8") as fh:
        fh.write(line)
