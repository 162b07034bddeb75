"""Read a CSV the user uploads or pastes, or explain clearly why it cannot be used.

Every problem raises `CsvProblem` with a message written for a non-programmer (what is wrong,
where, what to do). The caller keeps its previous data when that happens.
"""

from __future__ import annotations

import pandas as pd

from engine.runs import MAX_ROWS, CsvProblem, check_rows, max_bytes, parse_table

MAX_BYTES: int | None = None  # None: the setting TUNESMITH_MAX_CSV_MB (default 5 MB)
# MAX_ROWS: the engine's limit (csvfile.py), the same the CLI and the worker apply

__all__ = ["MAX_BYTES", "MAX_ROWS", "CsvProblem", "limit_text", "parse_csv", "to_csv_bytes"]


def limit_text() -> str:
    """'5 MB': the size limit, for labels."""
    return f"{(MAX_BYTES or max_bytes()) / 1024 / 1024:g} MB"


def parse_csv(raw: bytes | str, name: str = "the file") -> pd.DataFrame:
    """A DataFrame of text cells, or CsvProblem (empty, too big, ragged, bad headers, encoding).

    The reading is engine.runs.data._csv's, the same the CLI and the worker use.
    """
    header, body = parse_table(raw, name, limit=MAX_BYTES)
    check_rows(len(body), name)
    return pd.DataFrame(body, columns=header, dtype="string").fillna("")


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    return df.to_csv(index=False).encode("utf-8")
