"""Cross-fitted choice calibration: a search's candidates judged as calibration would leave them.

A small model often gives one label to every row whatever the instruction (SmolLM2-135M answers
"billing" to every support ticket), so candidate instructions tie on their raw answers and only
the calibration after the search (`engine.optimizers.calibration._choices`) moves the score. Yet
their choice scores differ: one instruction's scores may rank the rows well, another's not.
Here a search trial's rows are scored as the calibrated program would answer them: the rows are
split into `FOLDS` folds (by position), and each fold's rows are answered with the offsets fitted
on the other folds' rows under the keep rule of the final fit (`fit_kept`; no offsets when it
does not keep them). A row's label never fits the offsets that answer it, so the score is an
honest estimate of the calibrated program on unseen rows.

Cost: no LM call (the scores are in the rows the trial already has); the metric runs once per
row and value other than the row's own, as in the final fit. Only where the final fit could
apply: one predictor whose last output is a closed choice on the embedded model, with no offsets
yet for that output (a calibrated candidate is scored on its own answers), and at least
`MIN_ROWS` rows with scores (a 3-row minibatch is left as it is).
"""

from __future__ import annotations

from typing import Any

from engine.optimizers.calibration._choices import (
    derived_row,
    fit_kept,
    pick_of,
    scored_rows,
)
from engine.optimizers.calibration._rows import reports_choice_scores
from engine.optimizers.spine import CHANGED_MARK, SearchScoring

NAME = "calibrated search"
UNCALIBRATED = CHANGED_MARK  # a changed row's trace step: the model's own answer and score
FOLDS = 5
MIN_ROWS = 10  # rows with scores a trial needs: each fold's offsets are fitted on 8 or more


def applies(program: Any) -> bool:
    """Whether the search's trials of `program` are scored cross-fitted (see module)."""
    if not reports_choice_scores(program):
        return False
    predictor = program.predictors()[0]
    name = list(predictor.signature.output_fields)[-1]
    return not predictor.choice_offsets.get(name)


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
