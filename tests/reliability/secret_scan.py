"""Look for a secret in files (raw bytes and every SQLite table) and in rendered AppTest pages."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def _tables(path: Path) -> Iterator[tuple[str, str]]:
    """(table, text of one row) for every row of every table of a SQLite file."""
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        names = [r[0] for r in con.execute("select name from sqlite_master where type='table'")]
    except sqlite3.DatabaseError:
        return
    try:
        for name in names:
            for row in con.execute(f'select * from "{name}"'):  # noqa: S608 (names from schema)
                yield name, " ".join(str(v) for v in row)
    finally:
        con.close()


def scan_files(roots: list[Path], secrets: list[str]) -> tuple[int, list[str]]:
    """(files read, places where a secret was found) under `roots` (SQLite rows read too)."""
    count, hits = 0, []
    for root in roots:
        for path in [root] if root.is_file() else sorted(root.rglob("*")):
            if not path.is_file():
                continue
            count += 1
            raw = path.read_bytes()
            hits += [f"{path}" for s in secrets if s.encode() in raw]
            if raw.startswith(b"SQLite format 3"):
                for table, text in _tables(path):
                    hits += [f"{path}:{table}" for s in secrets if s in text]
    return count, hits


def _walk(node: Any) -> Iterator[Any]:
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for child in children.values():
            yield from _walk(child)
    else:
        yield node


def rendered_text(at: Any, skip_keys: tuple[str, ...] = ()) -> str:
    """Every element the page rendered, as protobuf text (markdown, tables, code, widgets)."""
    parts = []
    for element in _walk(at._tree):
        if getattr(element, "key", None) in skip_keys:
            continue
        proto = getattr(element, "proto", None)
        parts.append(str(proto) if proto is not None else repr(element))
    return "\n".join(parts)
