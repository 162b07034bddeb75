"""What a run will do and cost before it starts: the pre-flight plan, the forecast from the
store's earlier runs, and the rows the cache already answers.
"""
# ruff: noqa: I001 (a list of names, kept compact)

from engine.runs.estimate._plan import (
    budget_warnings, fitting_budget, forecast_line, out_of_reach, plateau, preflight,
    range_words,
)

__all__ = [
    "budget_warnings", "fitting_budget", "forecast_line", "out_of_reach", "plateau", "preflight",
    "range_words",
]  # fmt: skip
