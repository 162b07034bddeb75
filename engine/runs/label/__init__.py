"""Label a spreadsheet: a stored run's program on every row of a CSV, and on one typed input.
"""
# ruff: noqa: I001 (a list of names, kept compact)

from engine.runs.label._predict import (
    estimate_calls, input_fields, match_inputs, predict_rows, predict_table, read_input_csv,
    try_input,
)

__all__ = [
    "estimate_calls", "input_fields", "match_inputs", "predict_rows", "predict_table",
    "read_input_csv", "try_input",
]  # fmt: skip
