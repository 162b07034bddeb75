"""Read a CSV the user uploads or pastes, or explain clearly why it cannot be used.

Every problem raises `CsvProblem` with a message written for a non-programmer (what is wrong,
where, what to do). The caller keeps its previous data when that happens.
"""

from __future__ import annotations

import csv
import io

import pandas as pd

MAX_BYTES = 5 * 1024 * 1024  # 5 MB
MAX_ROWS = 20_000


class CsvProblem(ValueError):
    """A CSV that cannot be used, with a message to show as is."""


def _decode(raw: bytes) -> str:
    if b"\x00" in raw[:4096]:
        raise CsvProblem(
            "This file is not plain text (it looks like a spreadsheet or another binary file). "
            "In your spreadsheet app choose File → Save as → “CSV UTF-8”, then upload that file."
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise CsvProblem(
            f"This file is not UTF-8 text (unreadable character on line {line}). "
            "Save it again as “CSV UTF-8” (Excel: File → Save as → CSV UTF-8) and upload it again."
        ) from None


def _delimiter(text: str) -> str:
    first = text.split("\n", 1)[0]
    if "\t" in first and first.count("\t") >= first.count(","):
        return "\t"  # pasted from a spreadsheet
    if ";" in first and first.count(";") > first.count(","):
        return ";"
    return ","


def parse_csv(raw: bytes | str, name: str = "the file") -> pd.DataFrame:
    """A DataFrame of text cells, or CsvProblem (empty, too big, ragged, bad headers, encoding)."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    if len(raw) > MAX_BYTES:
        raise CsvProblem(
            f"{name} is {len(raw) / 1e6:.1f} MB; the limit is {MAX_BYTES // (1024 * 1024)} MB. "
            "Use a sample of your rows: a few hundred examples are plenty for tuning."
        )
    text = _decode(raw)
    if not text.strip():
        raise CsvProblem(f"{name} is empty. A CSV needs a header row and at least one row of data.")
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text)))
    except csv.Error as exc:
        raise CsvProblem(
            f"{name} could not be read as CSV: {exc}. Check the quotes in the file."
        ) from None
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        raise CsvProblem(f"{name} is empty. A CSV needs a header row and at least one row of data.")
    header = [h.strip() for h in rows[0]]
    _check_header(header, name)
    body = rows[1:]
    if not body:
        raise CsvProblem(
            f"{name} has a header row ({', '.join(header)}) but no data rows below it."
        )
    if len(body) > MAX_ROWS:
        raise CsvProblem(
            f"{name} has {len(body):,} rows; the limit is {MAX_ROWS:,}. Upload a sample."
        )
    for i, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise CsvProblem(
                f"Row {i} of {name} has {len(row)} value(s), but the header has "
                f"{len(header)} column(s). "
                'A comma inside a value must be wrapped in double quotes, e.g. "Hello, world".'
            )
    return pd.DataFrame(body, columns=header, dtype="string").fillna("")


def _check_header(header: list[str], name: str) -> None:
    blanks = [i + 1 for i, h in enumerate(header) if not h]
    if blanks:
        raise CsvProblem(
            f"Column {blanks[0]} of {name} has no name in the header row. Give every column a name."
        )
    seen: set[str] = set()
    dupes = []
    for h in header:
        if h.lower() in seen and h not in dupes:
            dupes.append(h)
        seen.add(h.lower())
    if dupes:
        raise CsvProblem(
            f"{name} has more than one column named {', '.join(repr(d) for d in dupes)}. "
            "Rename the columns so each name appears once."
        )
    if len(header) == 1 and len(header[0]) > 60:
        raise CsvProblem(
            f"{name} does not look like a CSV: its first line has no commas. The first line must "
            "name the columns, e.g. ticket,category."
        )


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    return df.to_csv(index=False).encode("utf-8")
