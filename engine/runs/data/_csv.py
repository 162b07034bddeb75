"""Read a CSV of examples: the one loader the CLI, the worker and the dashboard share.

Every problem raises `CsvProblem` (a SpecError) with a message for a non-programmer: what is
wrong, where (row, line or column) and what to do. Nothing is written anywhere while reading.

The size limit is a setting: `TUNESMITH_MAX_CSV_MB` (default 5 MB). Formula-like cells
(`=SUM(...)`) are kept as text: they are data for the model; exports neutralise them
(`safe_cell`: every cell, headers too, against formulas in any locale's separators).
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import stat
import unicodedata
from pathlib import Path

from engine.core import SpecError

MAX_MB_ENV = "TUNESMITH_MAX_CSV_MB"
DEFAULT_MAX_MB = 5.0
MAX_COLUMNS = 200
MAX_ROWS = 20_000  # data rows of an examples CSV: the CLI, the worker and the dashboard share it
MAX_CELL_CHARS = csv.field_size_limit()  # the csv module's own limit (131,072 characters)
_SAVE_AS = "In your spreadsheet app choose File → Save as → “CSV UTF-8”, then use that file."
_MAGIC = {
    b"PK\x03\x04": "an Excel workbook (.xlsx) or another zip archive",
    b"\xd0\xcf\x11\xe0": "an old Excel workbook (.xls)",
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\x1f\x8b": "a gzip archive",
}


class CsvProblem(SpecError):
    """A CSV that cannot be used, with a message to show as is."""


def max_bytes() -> int:
    """The size limit in bytes: `TUNESMITH_MAX_CSV_MB` megabytes (default 5)."""
    raw = os.environ.get(MAX_MB_ENV, "")
    try:
        mb = float(raw) if raw.strip() else DEFAULT_MAX_MB
    except ValueError:
        mb = DEFAULT_MAX_MB
    return round(max(mb, 0.001) * 1024 * 1024)


def check_size(size: int, name: str, limit: int | None = None) -> None:
    limit = max_bytes() if limit is None else limit
    if size > limit:
        shown = f"{size / 1024 / 1024:.1f} MB" if size >= 100 * 1024 else f"{size / 1024:.1f} KB"
        raise CsvProblem(
            f"{name} is {shown}; the limit is {limit / 1024 / 1024:.3g} MB "
            f"(setting {MAX_MB_ENV}). Use a sample of your rows: a few hundred examples are "
            "plenty for tuning."
        )


def check_rows(count: int, name: str) -> None:
    """Refuse an examples table with more than MAX_ROWS data rows (the header not counted)."""
    if count > MAX_ROWS:
        raise CsvProblem(
            f"{name} has {count:,} rows of data; the limit is {MAX_ROWS:,}. Use a sample of "
            "your rows: a few hundred examples are plenty for tuning."
        )


_NOT_REGULAR = (
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def check_regular_file(path: Path, what: str = "a CSV file") -> os.stat_result:
    """The file's stat, or CsvProblem saying what the path is instead of a regular file.

    Only `stat` is called: a named pipe is never opened, so the check cannot block.
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        raise CsvProblem(f"file not found: {path}") from None
    except ValueError:  # a NUL in the path
        raise CsvProblem(
            f"the path {str(path)!r} holds a NUL byte (\\x00), which no file name can hold; "
            "write the file's name again"
        ) from None
    except OSError as exc:
        raise CsvProblem(f"{path} cannot be read: {exc.strerror or exc}") from None
    if stat.S_ISDIR(info.st_mode):
        raise CsvProblem(f"{path} is a folder, not {what}; name {what} inside it")
    if not stat.S_ISREG(info.st_mode):
        kind = next((k for test, k in _NOT_REGULAR if test(info.st_mode)), "a special file")
        raise CsvProblem(
            f"{path} is not a regular file (it is {kind}); {what} must be an ordinary file "
            "saved on disk"
        )
    return info


def decode(raw: bytes, name: str) -> str:
    """Text of the file: UTF-8 (with or without BOM) or UTF-16 with a BOM; else CsvProblem."""
    text = _decode_text(raw, name)
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise CsvProblem(
            f"Line {line} of {name} holds a NUL character (\\x00), which a text file never "
            "holds: the file is damaged or not text. Remove it or export the file again."
        )
    return text


def _decode_text(raw: bytes, name: str) -> str:
    """`decode` without the NUL check (parse_table names the row and column of a NUL)."""
    if raw.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        raise CsvProblem(f"{name} is UTF-32 text, which is not supported. {_SAVE_AS}")
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            raise CsvProblem(f"{name} starts like UTF-16 text but is damaged. {_SAVE_AS}") from None
    for magic, what in _MAGIC.items():
        if raw.startswith(magic):
            raise CsvProblem(f"{name} is not plain text but {what}. {_SAVE_AS}")
    head = raw[:4096]
    if head.startswith(b"\x00") or head.count(b"\x00") * 20 > len(head):
        # many NULs (more than 5%): UTF-16 without a BOM or binary; a stray one is located later
        raise CsvProblem(
            f"{name} is not plain text (it looks like a spreadsheet, a UTF-16 file without a "
            f"byte-order mark, or another binary file). {_SAVE_AS}"
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise CsvProblem(
            f"{name} is not UTF-8 text (unreadable character on line {line}). "
            "Save it again as “CSV UTF-8” (Excel: File → Save as → CSV UTF-8) and use it again."
        ) from None


def _delimiter(text: str) -> str:
    first = text.split("\n", 1)[0]
    if "\t" in first and first.count("\t") >= first.count(","):
        return "\t"  # pasted from a spreadsheet
    if ";" in first and first.count(";") > first.count(","):
        return ";"
    return ","


def _records(text: str, name: str) -> list[tuple[int, list[str]]]:
    """(row number counting the header as 1, cells) of every non-blank record."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    out: list[tuple[int, list[str]]] = []
    number = 0
    try:
        for cells in reader:
            number += 1
            if any(cell.strip() for cell in cells):
                out.append((number, cells))
    except csv.Error as exc:
        where = f"row {number + 1} (line {reader.line_num})"
        if "field larger" in str(exc):
            raise CsvProblem(
                f"{name}: a value in {where} is longer than {MAX_CELL_CHARS:,} characters, the "
                "limit for one cell (or a quote is never closed). Shorten it or fix the quotes."
            ) from None
        raise CsvProblem(
            f"{name} could not be read as CSV at {where}: {exc}. Check the quotes there."
        ) from None
    return out


def _check_nul(records: list[tuple[int, list[str]]], header: list[str], name: str) -> None:
    """Name the row and column of the first NUL byte in a cell."""
    for number, cells in records:
        for index, cell in enumerate(cells):
            if "\x00" in cell:
                named = ""
                if number != records[0][0] and index < len(header) and header[index]:
                    named = f" ({header[index]!r})"
                raise CsvProblem(
                    f"Row {number}, column {index + 1}{named} of {name} holds a NUL byte "
                    "(\\x00), which a text file never holds: the file is damaged or not text. "
                    "Remove it or export the file again."
                )


def check_header(header: list[str], name: str) -> None:
    """Every column named, once (names that differ only by case or spaces count as one)."""
    blanks = [i + 1 for i, h in enumerate(header) if not h]
    if blanks:
        raise CsvProblem(
            f"Column {blanks[0]} of {name} has no name in the header row. Give every column a name."
        )
    if len(header) > MAX_COLUMNS:
        raise CsvProblem(
            f"{name} has {len(header):,} columns; the limit is {MAX_COLUMNS}. Keep the columns "
            "the task needs (what the model reads and the expected answer) and try again."
        )
    seen: dict[str, str] = {}
    dupes: list[str] = []
    for h in header:
        key = " ".join(h.split()).casefold()
        if key in seen and h not in dupes:
            dupes.append(f"{seen[key]!r} and {h!r}" if seen[key] != h else repr(h))
        seen.setdefault(key, h)
    if dupes:
        raise CsvProblem(
            f"{name} has more than one column named {', '.join(dupes)} (names that differ only "
            "by case or spaces count as the same). Rename the columns so each name appears once."
        )
    if len(header) == 1 and len(header[0]) > 60:
        raise CsvProblem(
            f"{name} does not look like a CSV: its first line has no commas. The first line must "
            "name the columns, e.g. ticket,category."
        )


def parse_table(
    raw: bytes | str, name: str = "the file", *, limit: int | None = None
) -> tuple[list[str], list[list[str]]]:
    """Header (stripped names) and rows of text cells; CsvProblem names what is wrong."""
    header, body = parse_numbered_table(raw, name, limit=limit)
    return header, [row for _, row in body]


def parse_numbered_table(
    raw: bytes | str, name: str = "the file", *, limit: int | None = None
) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """`parse_table` with each row's number as a spreadsheet shows it (the header is row 1,
    blank rows count though they are left out)."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    check_size(len(raw), name, limit)
    text = _decode_text(raw, name)
    records = _records(text, name) if text.strip() else []  # blank: no record to read
    if not records:
        raise CsvProblem(f"{name} is empty. A CSV needs a header row and at least one row of data.")
    header = [h.strip() for h in records[0][1]]
    _check_nul(records, header, name)
    check_header(header, name)
    body = records[1:]
    if not body:
        raise CsvProblem(
            f"{name} has a header but no data rows below it (columns: {', '.join(header)})."
        )
    for number, row in body:
        if len(row) != len(header):
            raise CsvProblem(
                f"Row {number} of {name} has {len(row)} value(s), but the header has "
                f"{len(header)} column(s). "
                'A comma inside a value must be wrapped in double quotes, e.g. "Hello, world".'
            )
    return header, body


def read_table(
    path: Path, name: str, *, limit: int | None = None
) -> tuple[list[str], list[list[str]]]:
    """`parse_table` of a file, refusing a file over the limit (or no regular file) unread."""
    header, body = read_numbered_table(path, name, limit=limit)
    return header, [row for _, row in body]


def read_numbered_table(
    path: Path, name: str, *, limit: int | None = None
) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """`parse_numbered_table` of a file (see `read_table`)."""
    info = check_regular_file(path)
    check_size(info.st_size, name, limit)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CsvProblem(f"{name} cannot be read: {exc.strerror or exc}") from None
    return parse_numbered_table(raw, name, limit=limit)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_CHARS = "=+-@"
# where a spreadsheet may cut a cell in two: a list separator (`,` or `;` by locale, `|` or a
# tab chosen on import) or a line break read by an importer that ignores quotes
_SEPARATOR = re.compile(r"[,;|\t\r\n]")


def _skipped(char: str) -> bool:
    """Whether a spreadsheet may skip `char` before a formula: whitespace, line breaks,
    invisible control or format characters."""
    return char.isspace() or unicodedata.category(char) in ("Cc", "Cf")


def _formula_char(char: str) -> bool:
    """= + - @ or a full-width or other compatibility form of one (e.g. U+FF1D '＝')."""
    first = unicodedata.normalize("NFKC", char)[:1]
    return bool(first) and first in _FORMULA_CHARS


def _formula_start(value: str) -> bool:
    """Whether a spreadsheet may read `value` as a formula: it starts with = + - @ (or a
    compatibility form of one, see `_formula_char`) after any leading whitespace, line breaks
    or invisible format characters, or it starts with a tab or CR."""
    if value.startswith(FORMULA_STARTS):
        return True
    first = next((char for char in value if not _skipped(char)), "")
    return bool(first) and _formula_char(first)


def _inner_formulas(value: str) -> list[int]:
    """Where a formula character follows a separator (`_SEPARATOR`; whitespace, invisible
    characters and double quotes may come between): each one is a formula again once a
    spreadsheet cuts the cell there. One pass: a run of separators is scanned once."""
    found: list[int] = []
    reach = 0
    for match in _SEPARATOR.finditer(value):
        at = match.end()
        if at <= reach:
            continue  # already scanned from an earlier separator of this run
        while at < len(value) and (value[at] == '"' or _skipped(value[at])):
            at += 1
        reach = at
        if at < len(value) and _formula_char(value[at]):
            found.append(at)
    return found


def safe_cell(value: object) -> object:
    """A cell for a CSV someone may open in a spreadsheet, in any locale (OWASP CSV injection).

    Text that may start a formula (see `_formula_start`) gets a leading single quote; so does
    each formula character after a separator inside it (`ok;=HYPERLINK(...)` is two cells where
    `;` separates lists, a line break is a new row to an importer that ignores quotes), so
    every piece is shown, never run. Numbers stay numbers. Header cells too."""
    if not isinstance(value, str):
        return value
    inner = _inner_formulas(value)
    text = "'".join(value[a:b] for a, b in zip([0, *inner], [*inner, len(value)]))
    return "'" + text if _formula_start(value) else text
