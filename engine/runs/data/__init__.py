"""A spec's data: the CSV loader every reader shares, the column mapping and checks, the
train/val/test split, and a step's corpus file.
"""

from engine.runs.data._corpus import load_corpus, read_passages
from engine.runs.data._csv import (
    MAX_ROWS,
    CsvProblem,
    check_rows,
    max_bytes,
    parse_table,
    read_table,
    safe_cell,
)
from engine.runs.data._load import (
    OUTSIDE_ENV,
    DataReport,
    DataSplit,
    cast_cell,
    field_types,
    load_data,
    read_csv,
    resolve_path,
    validate_spec_against_data,
)

__all__ = [
    "cast_cell",
    "field_types",
    "check_rows",
    "CsvProblem",
    "DataReport",
    "DataSplit",
    "load_corpus",
    "load_data",
    "max_bytes",
    "MAX_ROWS",
    "OUTSIDE_ENV",
    "parse_table",
    "read_csv",
    "read_passages",
    "read_table",
    "resolve_path",
    "safe_cell",
    "validate_spec_against_data",
]
