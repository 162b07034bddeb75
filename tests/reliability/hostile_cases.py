"""Malformed CSV files: (name, bytes, phrase the refusal must hold | None when it must load).

Files that load must read back the right cells; phrases name the row, line or column.
"""

from __future__ import annotations

import codecs
import io
import zipfile
from dataclasses import dataclass

HEADER = b"ticket,category\n"
GOOD = HEADER + b"Refund my order,billing\nParcel is late,shipping\nApp crashes,technical\n"


@dataclass(frozen=True)
class Case:
    name: str
    raw: bytes
    phrase: str | None  # None: must load
    rows: int = 3  # rows it must load
    dashboard: bool = True  # also uploaded in the AppTest (small files only)


def _xlsx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
    return buf.getvalue()


def _formula(prefix: str) -> bytes:
    cell = f'"{prefix}HYPERLINK(""http://evil.example"",""x"")"'.encode()
    return HEADER + b"Refund my order,billing\n" + cell + b",shipping\nApp crashes,technical\n"


def _wide(n: int) -> bytes:
    return (",".join(f"c{i}" for i in range(n)) + "\n" + ",".join("v" * n) + "\n").encode()


def cases() -> list[Case]:
    big_cell = HEADER + b'"' + b"x" * (5 * 1024 * 1024) + b'",billing\n'
    tail_nul = GOOD + b"a" * 5000 + b"\x00,billing\n"
    out = [
        # encodings
        Case("latin1", HEADER + "Caf\xe9 bill,billing\n".encode("latin-1"), "line 2"),
        Case("cp1252-quotes", HEADER + "\u201cHi\u201d,billing\n".encode("cp1252"), "not UTF-8"),
        Case("late-bad-byte", GOOD + b"ok,billing\nbad \xff,billing\n", "line 6"),
        Case("surrogate-utf8", HEADER + b"\xed\xa0\x80,billing\n", "not UTF-8"),
        Case("utf8-bom", codecs.BOM_UTF8 + GOOD, None),
        Case("utf16-le-bom", GOOD.decode().encode("utf-16"), None),
        Case("utf16-be-bom", codecs.BOM_UTF16_BE + GOOD.decode().encode("utf-16-be"), None),
        Case("utf16-no-bom", GOOD.decode().encode("utf-16-le"), "not plain text"),
        Case("utf32-bom", GOOD.decode().encode("utf-32"), "UTF-32"),
        Case("utf16-odd-bytes", codecs.BOM_UTF16_LE + b"t\x00i\x00\x00", "UTF-16"),
        # structure
        Case("empty", b"", "is empty"),
        Case("whitespace-only", b"  \n\n \r\n", "is empty"),
        Case("commas-only", b",,,\n,,,\n", "is empty"),
        Case("header-only", HEADER, "no data rows"),
        Case("header-then-blank-lines", HEADER + b"\n\n,\n", "no data rows"),
        Case("ragged-extra", HEADER + b"a,billing\nb,billing,oops\n", "Row 3"),
        Case("ragged-short", HEADER + b"lonely\n", "Row 2"),
        Case("duplicate-headers", b"ticket,ticket\na,b\n", "more than one column named"),
        Case("headers-differ-by-case", b"Ticket,ticket\na,b\n", "'Ticket' and 'ticket'"),
        Case("headers-differ-by-spaces", b"ticket, ticket \na,b\n", "more than one column"),
        Case("headers-inner-spaces", b"ticket text,ticket  text\na,b\n", "more than one column"),
        Case("blank-header", b"ticket,\na,b\n", "Column 2"),
        Case("trailing-comma-header", b"ticket,category,\na,b,c\n", "Column 3"),
        Case("space-header", b"  ,category\na,b\n", "Column 1"),
        Case("1000-columns", _wide(1000), "1,000 columns"),
        Case("5mb-cell", big_cell, "the limit is", dashboard=False),
        Case("200kb-cell", HEADER + b"a,billing\n" + b"y" * 200_000 + b",x\n", "row 3"),
        Case("nul-at-start", b"\x00\x00" + GOOD, "not plain text"),
        Case("nul-after-4k", tail_nul, "Row 5, column 1"),
        Case("mixed-newlines", HEADER + b"a,billing\r\nb,shipping\rc,technical\n", None),
        Case("cr-only", GOOD.replace(b"\n", b"\r"), None),
        Case("crlf", GOOD.replace(b"\n", b"\r\n"), None),
        Case("no-final-newline", GOOD.rstrip(b"\n"), None),
        Case("quoted-newlines", HEADER + b'"line one\nline two",billing\nb,x\nc,y\n', None),
        Case("unclosed-quote", HEADER + b'a,billing\n"never closed,billing\nc,x\n', "Row 3"),
        Case("stray-quote", HEADER + b'a"b,billing\nb,x\nc,y\n', None),
        Case("tab-separated", GOOD.replace(b",", b"\t"), None),
        Case("semicolon-separated", GOOD.replace(b",", b";"), None),
        Case("long-line-no-commas", b"x" * 80 + b"\nrow\n", "does not look like a CSV"),
        # not CSV at all
        Case("xlsx-renamed", _xlsx(), "Excel workbook"),
        Case("xls-renamed", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "old Excel"),
        Case("pdf-renamed", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "PDF"),
        Case("png-renamed", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG"),
        Case("gzip-renamed", b"\x1f\x8b\x08\x00" + b"\x00" * 16, "gzip"),
        Case("random-binary", bytes(range(256)) * 4, "not plain text"),
        Case(
            "html-page",
            b"<!DOCTYPE html><html><head><title>Not a CSV</title></head></html>\n<body></body>\n",
            "does not look like a CSV",
        ),  # fmt: skip
        Case("json-renamed", b'[{"ticket": "a", "category": "b"}]\n', "no data rows"),
        # labels that differ only by spaces or case (loaded; the CLI notes them)
        Case("labels-case", HEADER + b"a,billing\nb,Billing\nc,BILLING\n", None),
        Case("labels-spaces", HEADER + b"a,billing\nb, billing\nc,billing  \n", None),
        # formula cells: kept as text, neutralised by every export
        Case("formula-equals", _formula("="), None),
        Case("formula-plus", _formula("+"), None),
        Case("formula-minus", _formula("-"), None),
        Case("formula-at", _formula("@"), None),
        Case("formula-tab", _formula("\t="), None),
        Case("formula-cr", _formula("\r="), None),
        Case("formula-dde", HEADER + b"\"=cmd|' /C calc'!A0\",billing\nb,x\nc,y\n", None),
    ]
    return out


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
