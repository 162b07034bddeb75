"""Cross-fitted choice calibration: a search's candidates judged as calibration would leave them
(docs/design/choice_calibration.md). A search trial's rows are split into `FOLDS` folds (by
position), and each fold's rows are answered with the offsets fitted on the other folds' rows
under the final fit's keep rule (`fit_kept`), so a row's label never fits the offsets that answer
it. No LM call; only where the final fit could apply, with no offsets yet for that output, and
at least `MIN_ROWS` rows with scores.
"""

from __future__ import annotations

from typing import Any

from engine.optimizers.calibration._choices import (
    derived_row,
    fit_kept,
    pick_of,
    scored_rows,
)
from engine.optimizers.calibration._content_free import applies
from engine.optimizers.spine import CHANGED_MARK, SearchScoring

NAME = "calibrated search"
UNCALIBRATED = CHANGED_MARK  # a changed row's trace step: the model's own answer and score
FOLDS = 5
MIN_ROWS = 10  # rows with scores a trial needs: each fold's offsets are fitted on 8 or more


def cross_fitted_rows(
    program: Any, examples: list[Any], rows: list[dict[str, Any]], metric: Any
) -> list[dict[str, Any]] | None:
    """`rows` (one per example) answered with cross-fitted offsets; each row whose answer
    changes keeps the model's in its first trace step (`UNCALIBRATED`: {"outputs", "score"}).
    None when fewer than `MIN_ROWS` rows have choice scores."""
    predictor = program.predictors()[0]
    name, field = list(predictor.signature.output_fields.items())[-1]
    scored = scored_rows(name, field.annotation, list(zip(examples, rows, strict=True)), metric)
    if len(scored) < MIN_ROWS:
        return None
    out = list(rows)
    for fold in range(FOLDS):
        others = [row for k, (_, row) in enumerate(scored) if k % FOLDS != fold]
        offsets, kept = fit_kept(others, [], {})
        if not kept:
            continue
        for k, (position, found) in enumerate(scored):
            if k % FOLDS != fold:
                continue
            pick, own = pick_of(found.scores, offsets), pick_of(found.scores, {})
            if pick != own:
                out[position] = _noted(rows[position], name, field.annotation, found, pick)
    return out


def _noted(row: dict[str, Any], name: str, annotation: Any, found: Any, pick: str) -> dict:
    """`row` answering `pick`, its first trace step keeping the model's own answer and score
    under `UNCALIBRATED` (the trace is stored with the row)."""
    derived = derived_row(row, name, annotation, found, pick)
    step, *rest = derived["trace"]
    raw = {"outputs": {name: (row.get("outputs") or {}).get(name)}, "score": row["score"]}
    return {**derived, "trace": [{**step, UNCALIBRATED: raw}, *rest]}


CROSS_FITTED = SearchScoring(NAME, applies, cross_fitted_rows, MIN_ROWS)
