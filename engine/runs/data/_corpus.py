"""Read a corpus file into passages: txt/md by paragraph or line, csv by one column.

`read_passages(path, ...)` reads any file; `load_corpus(spec, corpus, key)` first checks that
the file is inside the project folder (as data.csv is, see `resolve_path`). Problems raise a
SpecError naming `key` and what to do; nothing is written.
"""

from __future__ import annotations

import re
from pathlib import Path

from engine.core import SpecError
from engine.runs.data._csv import CsvProblem, check_regular_file, check_size, decode, read_table
from engine.runs.data._load import resolve_path
from engine.runs.spec import CorpusSpec, ProjectSpec

_BLANK_LINE = re.compile(r"\n[ \t]*\n")


def split_text(text: str, split: str = "auto") -> list[str]:
    """Passages of a text: paragraphs when it has blank lines (or `split='paragraph'`), else
    lines. Markdown headings ('# ...') on their own are dropped; whitespace is collapsed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    by_paragraph = split == "paragraph" or (split == "auto" and _BLANK_LINE.search(text))
    chunks = _BLANK_LINE.split(text) if by_paragraph else text.split("\n")
    passages = []
    for chunk in chunks:
        lines = [ln for ln in chunk.split("\n") if ln.strip() and not ln.lstrip().startswith("#")]
        passage = " ".join(" ".join(lines).split())
        if passage:
            passages.append(passage)
    return passages


def read_passages(
    path: Path, column: str | None = None, split: str = "auto", key: str = "corpus"
) -> list[str]:
    """The passages of a .txt, .md or .csv file (the `column` of a csv)."""
    try:
        check_regular_file(path, "a corpus file")  # a folder or a pipe is named, never opened
    except CsvProblem as exc:
        raise SpecError(f"{key}: {exc}") from None
    if path.suffix.lower() == ".csv":
        try:
            header, rows = read_table(path, f"the corpus file {path.name}")
        except CsvProblem as exc:
            raise CsvProblem(f"{key}: {exc}") from None
        if column not in header:
            raise SpecError(
                f"{key}: column {column!r} is not in {path.name}; its columns: {header}"
            )
        index = header.index(column)
        passages = [" ".join(row[index].split()) for row in rows if row[index].strip()]
    elif path.suffix.lower() in (".txt", ".md"):
        try:
            check_size(path.stat().st_size, f"the corpus file {path.name}")
            text = decode(path.read_bytes(), f"the corpus file {path.name}")
        except CsvProblem as exc:
            raise SpecError(f"{key}: {exc}") from None
        passages = split_text(text, split)
    else:
        raise SpecError(f"{key}: {path.name} is not a .txt, .md or .csv file")
    if not passages:
        raise SpecError(f"{key}: {path.name} holds no passages (it is empty)")
    return passages


def load_corpus(spec: ProjectSpec, corpus: CorpusSpec, key: str) -> list[str]:
    """A spec's corpus, refused when it lies outside the project folder."""
    path = resolve_path(spec, corpus.path, key=key)
    return read_passages(path, corpus.column, corpus.split, key)
