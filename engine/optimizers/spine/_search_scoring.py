"""How a search scores a candidate's rows, when a step beyond the model's own answers decides
what the program will answer: registered by the code that owns that step (cross-fitted choice
calibration registers itself: `engine.optimizers.calibration._cross_fit`), so the trial runner
imports none of it.

A rescoring applies to a program before its rows are read (`applies`: then racing, which bounds
a candidate by its raw row scores, is off for it) and turns the trial's raw rows into the rows
it is scored on (`rescore`: None leaves them as they are). Rows it changes keep what the model
answered in their first trace step ("uncalibrated"), which the run store keeps with the row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

RESCORED_SUBSETS = ("val", "full", "minibatch")  # the search's trials; not "train" nor "test"
CHANGED_MARK = "uncalibrated"  # the trace-step key a rescoring leaves on a row it changed


@dataclass(frozen=True)
class SearchScoring:
    """`applies(program) -> bool`, before any row is evaluated, for trials of at least
    `min_rows` examples (smaller ones are left as they are, and raced); `rescore(program,
    examples, rows, metric) -> rows | None` on a trial's rows (examples in the rows' order)."""

    name: str
    applies: Callable[[Any], bool]
    rescore: Callable[[Any, list[Any], list[dict[str, Any]], Any], list[dict[str, Any]] | None]
    min_rows: int = 1


_SCORINGS: dict[str, SearchScoring] = {}


def register_search_scoring(scoring: SearchScoring) -> None:
    """Offer `scoring` to every trial runner whose optimizer asks for it (registering a name
    again replaces it)."""
    _SCORINGS[scoring.name] = scoring


def search_scoring_for(program: Any, rows: int) -> SearchScoring | None:
    """The first registered scoring that applies to `program` on a trial of `rows` examples,
    or None."""
    for scoring in _SCORINGS.values():
        if rows >= scoring.min_rows and scoring.applies(program):
            return scoring
    return None
