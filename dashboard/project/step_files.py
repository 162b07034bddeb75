"""Files a pipeline step reads (a Retrieve corpus, ReAct tool tables) in the project folder.

Uploads are checked with the engine's own readers before anything is written, so a bad file
gets a clear message and changes nothing; sample projects copy their files beside the spec.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from engine import SpecError
from engine.runs import parse_table, read_passages, read_table, resolve_path

CORPUS_TYPES = ("txt", "md", "csv")


def safe_name(name: str) -> str:
    """A plain file name for an upload ('../My notes.md' -> 'My_notes.md')."""
    base = Path(str(name)).name
    stem, dot, ext = base.rpartition(".")
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", stem if dot else base).strip("_") or "file"
    return f"{stem[:60]}.{ext.lower()}" if dot else stem[:60]


def check_corpus(name: str, data: bytes, column: str | None = None) -> tuple[list[str], list[str]]:
    """(passages, csv columns) of an uploaded corpus; SpecError when it cannot be used."""

    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in CORPUS_TYPES:
        raise SpecError(f"{name}: a corpus must be a .txt, .md or .csv file")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / safe_name(name)
        path.write_bytes(data)
        columns: list[str] = []
        if ext == "csv":
            columns = read_table(path, name)[0]
            column = column if column in columns else columns[0]
        return read_passages(path, column, key=name), columns


def check_table(name: str, data: bytes) -> list[str]:
    """The columns of an uploaded lookup table; SpecError when it cannot be used."""

    if not name.lower().endswith(".csv"):
        raise SpecError(f"{name}: a lookup table must be a .csv file")
    header, rows = parse_table(data, f"the table {name}")
    if not rows:
        raise SpecError(f"{name}: the table has no rows")
    return header


def save_upload(folder: Path, name: str, data: bytes) -> str:
    """Write a checked upload into the project folder; returns its file name there."""
    target = folder / safe_name(name)
    target.write_bytes(data)
    return target.name


def project_files(folder: Path | None, exts: tuple[str, ...] = CORPUS_TYPES) -> list[str]:
    """Files in the project folder a step could read (not the project's own data.csv)."""
    if folder is None or not folder.is_dir():
        return []
    skip = {"data.csv", "test.csv", "project.yaml"}
    return sorted(
        p.name for p in folder.iterdir()
        if p.is_file() and p.suffix.lower().lstrip(".") in exts and p.name not in skip
    )  # fmt: skip


def copy_step_files(spec: Any, draft: dict[str, Any], folder: Path) -> None:
    """Copy the files a sample's steps read into `folder`, pointing the draft at the copies."""

    def copy(path: str, key: str) -> str:
        source = resolve_path(spec, path, key=key, allow_outside=True)  # samples are ours
        shutil.copy(source, folder / source.name)
        return source.name

    for i, step in enumerate(draft["pipeline"]):
        if step.get("corpus"):
            step["corpus"]["path"] = copy(step["corpus"]["path"], f"pipeline.{i}.corpus")
        for tool in step.get("tools") or []:
            if tool.get("corpus"):
                tool["corpus"]["path"] = copy(tool["corpus"]["path"], f"pipeline.{i}.tools")
            if tool.get("table"):
                tool["table"] = copy(tool["table"], f"pipeline.{i}.tools")
