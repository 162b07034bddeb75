"""A spec's data: the CSV loader every reader shares, the column mapping and checks, the
train/val/test split, and a step's corpus file.
"""
# ruff: noqa: I001 (a list of names, kept compact)

from engine.runs.data._corpus import load_corpus, read_passages
from engine.runs.data._csv import (
    check_rows, CsvProblem, max_bytes, MAX_ROWS, parse_table, read_table, safe_cell,
)
from engine.runs.data._load import (
    cast_cell, DataReport, DataSplit, field_types, load_data, OUTSIDE_ENV, read_csv, resolve_path,
    validate_spec_against_data,
)

__all__ = [
    "cast_cell", "check_rows", "CsvProblem", "DataReport", "DataSplit", "field_types",
    "load_corpus", "load_data", "max_bytes", "MAX_ROWS", "OUTSIDE_ENV", "parse_table", "read_csv",
    "read_passages", "read_table", "resolve_path", "safe_cell", "validate_spec_against_data",
]  # fmt: skip
