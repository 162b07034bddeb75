"""Choice calibration: the last step of an optimizer run, fitting offsets to a closed choice
(docs/design/choice_calibration.md). For the chosen program's last output, when it is a closed
choice, the offsets subtracted from the values' scores before the pick that maximise the metric
on the rows the run already has (a small valset topped up with training rows, `_rows`); what the
calibrated program answers there is known without a call (the same scores, shifted). Offsets are
kept only when they gain `MIN_GAIN` examples and lose none on the validation rows; rows without
scores (hosted models, a fallback's value) are left as they are.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from engine.core import BudgetExhausted, Prediction, cast_value
from engine.evaluate.scoring import call_metric, score_of
from engine.optimizers.calibration._rows import (
    TRAIN_SUBSET,
    reports_choice_scores,
    rows_of,
    training_rows,
)
from engine.optimizers.spine import Candidate, example_id

logger = logging.getLogger(__name__)

GRID = [x / 10 for x in range(-40, 41)]  # offsets tried for each value: -4 .. 4 by 0.1
MIN_GAIN = 2.0  # examples' worth of metric the offsets must gain on the fit rows
SWEEPS = 2  # coordinate-descent passes over a field's values
ORIGIN = "choice calibration"


@dataclass
class ScoredRow:
    """One validation row of a field: the metric for each value, and the model's scores."""

    metric_by_value: dict[str, float]
    scores: dict[str, float]
    feedback_by_value: dict[str, str | None] = field(default_factory=dict)


def calibrate_choices(
    program: Any,
    valset: list[Any],
    runner: Any,
    trainset: list[Any] | None = None,
    without_valset: bool = False,
) -> Any:
    """`program`, or a copy with fitted choice offsets when they win on the fit rows: the
    validation rows, topped up with unused training rows (`engine.optimizers.calibration._rows`)
    when the model reports choice scores (see module). With no valset, only when
    `without_valset` (the optimizer's program keeps fixed demos): the training rows alone."""
    predictors = program.predictors()
    if runner.metric is None or len(predictors) != 1:
        return program
    outputs = list(predictors[0].signature.output_fields.items())
    if not outputs:
        return program
    name, last = outputs[-1]  # nothing is written after it: its calibrated answers are known
    if valset:
        rows = rows_of(program, valset, runner)
        if rows is None:
            return program
        scored = scored_rows(name, last.annotation, rows, runner.metric)
        if not scored:  # no scores (no log-probabilities, an open output): nothing to fit
            logger.info("%s: no choice scores for %s (the model reports no log-probabilities "
                        "there, or the answer is open): nothing to fit", ORIGIN, name)  # fmt: skip
            return program
    elif without_valset and reports_choice_scores(program):
        rows, scored = [], []
    else:
        return program
    current = predictors[0].choice_offsets.get(name, {})
    val_rows = [row for _, row in scored]
    needed = MIN_GAIN - sum(_gainable(row, current) for row in val_rows)
    extra = training_rows(program, trainset or [], valset, runner, needed)
    extra_scored = scored_rows(name, last.annotation, extra, runner.metric)
    train_rows = [row for _, row in extra_scored]
    offsets, kept = fit_kept(val_rows, train_rows, current)
    if not kept:
        return program
    fit = Fit(offsets, len(val_rows), train_rows, current)
    if not valset:  # the calibrated copy's rows are the training rows it was fitted on
        rows, scored = extra, extra_scored
    return _adopted(program, name, last.annotation, fit, rows, scored, runner)


@dataclass
class Fit:
    """Offsets kept, and what they were fitted on: how many validation rows, which training
    rows; `current` are the offsets they replace."""

    offsets: dict[str, float]
    n_val: int
    train_rows: list[ScoredRow]
    current: dict[str, float]

    def train_line(self) -> str:
        if not self.train_rows:
            return ""
        before = summed_metric(self.train_rows, self.current) / len(self.train_rows)
        after = summed_metric(self.train_rows, self.offsets) / len(self.train_rows)
        return f"; {before:.3f} -> {after:.3f} on {len(self.train_rows)} training rows"


def fit_kept(
    val_rows: list[ScoredRow], train_rows: list[ScoredRow], current: dict[str, float]
) -> tuple[dict[str, float], bool]:
    """Offsets fitted on the validation and training rows, and whether they are kept: a gain of
    at least `MIN_GAIN` examples over all of them, none of it paid for with validation rows.
    (`bench/calibration_rules.py` measures this rule on held-out rows against stricter ones.)"""
    offsets, gain = fit_offsets(val_rows + train_rows, current)
    kept = gain >= MIN_GAIN and summed_metric(val_rows, offsets) >= summed_metric(val_rows, current)
    return offsets, kept


def fit_offsets(
    rows: list[ScoredRow], current: dict[str, float] | None = None
) -> tuple[dict[str, float], float]:
    """The offsets (value -> shift subtracted from its score) that maximise the summed metric
    over `rows`, and the sum they gain over the `current` offsets (the rows' picks); ({}, 0.0)
    when none gains.

    Coordinate descent on `GRID`; among the offsets that reach the best sum, each step takes
    the one nearest the value's mean score over the rows (relative to the first value's), the
    label-free estimate of the prompt's bias (batch calibration).
    """
    values = sorted({v for row in rows for v in row.scores})
    current = current or {}
    start = summed_metric(rows, current)
    offsets = dict.fromkeys(values, 0.0)
    for _ in range(SWEEPS):
        for value in values[1:]:  # the first value's offset stays 0: only differences matter
            totals = [summed_metric(rows, {**offsets, value: x}) for x in GRID]
            offsets[value] = _nearest_best(totals, _mean_gap(rows, value, values[0]))
    gain = summed_metric(rows, offsets) - start
    if gain <= 0:
        return {}, 0.0
    return {v: o for v, o in offsets.items() if o}, gain


def summed_metric(rows: list[ScoredRow], offsets: dict[str, float]) -> float:
    """The metric summed over `rows`, each answered with the value `offsets` pick."""
    return sum((row.metric_by_value[pick_of(row.scores, offsets)] for row in rows), 0.0)


def _gainable(row: ScoredRow, offsets: dict[str, float]) -> float:
    """The most a fit could gain on `row`: its best value's metric over its pick's."""
    return max(row.metric_by_value.values()) - row.metric_by_value[pick_of(row.scores, offsets)]


def _mean_gap(rows: list[ScoredRow], value: str, reference: str) -> float:
    """Mean of `value`'s score minus `reference`'s over the rows that have both."""
    gaps = [
        r.scores[value] - r.scores[reference] for r in rows if {value, reference} <= set(r.scores)
    ]
    return sum(gaps) / len(gaps) if gaps else 0.0


def _nearest_best(totals: list[float], target: float) -> float:
    """The grid point nearest `target` among those that reach the best total."""
    best = max(totals)
    return min((x for x, t in zip(GRID, totals, strict=True) if t >= best - 1e-9),
               key=lambda x: (abs(x - target), abs(x)))  # fmt: skip


def scored_rows(
    name: str, annotation: Any, rows: list[tuple[Any, dict]], metric: Any
) -> list[tuple[int, ScoredRow]]:
    """(position, row) for the rows whose step has scores for field `name`, each value scored
    by the metric (the row's own value by its stored score)."""
    out = []
    for position, (example, row) in enumerate(rows):
        scores = None if row.get("error") else _step(row).get("choice_scores", {}).get(name)
        if not scores or len(scores) < 2:
            continue
        given = str(row.get("outputs", {}).get(name, "")).strip().lower()
        metric_by_value: dict[str, float] = {}
        feedback_by_value: dict[str, str | None] = {}
        for value in scores:
            if value.strip().lower() == given:
                metric_by_value[value], feedback_by_value[value] = row["score"], row.get("feedback")
                continue
            try:
                outputs = {**(row.get("outputs") or {}), name: cast_value(value, annotation)}
                scored = score_of(call_metric(metric, example, Prediction(outputs)))
            except BudgetExhausted:
                raise
            except Exception as exc:  # a value that does not cast, or a metric that fails on it
                logger.debug("choice calibration skips a row of %s: %s", name, exc)
                break
            metric_by_value[value], feedback_by_value[value] = scored
        else:
            scores = {str(v): float(x) for v, x in scores.items()}
            out.append((position, ScoredRow(metric_by_value, scores, feedback_by_value)))
    return out


def _step(row: dict) -> dict:
    return (row.get("trace") or [{}])[0]


def _adopted(
    program: Any,
    name: str,
    annotation: Any,
    fit: Fit,
    rows: list[tuple[Any, dict]],
    scored: list[tuple[int, ScoredRow]],
    runner: Any,
) -> Any:
    """The calibrated copy, its validation rows (with no valset: its training rows) derived from
    the scores (no LM call) and scored by the trial machinery. The fit gained at least
    `MIN_GAIN` on its rows and lost nothing on the validation rows, so the copy is the program
    to return: it becomes the run's best even where it only ties the best on the valset
    (`TrialRunner.prefer`)."""
    predictor = program.predictors()[0]
    calibrated = program.deepcopy()
    calibrated.predictors()[0].choice_offsets = {**predictor.choice_offsets, name: fit.offsets}
    before = Candidate.from_program(program).hash
    candidate = runner.register(calibrated, [before], ORIGIN)
    by_position = dict(scored)
    for position, (example, row) in enumerate(rows):
        derived = row
        found = by_position.get(position)
        pick = None if found is None else pick_of(found.scores, fit.offsets)
        if found is not None and pick != pick_of(found.scores, fit.current):
            derived = derived_row(row, name, annotation, found, pick)
        runner.run.results.setdefault((candidate.hash, example_id(example)), derived)
    examples = [e for e, _ in rows]
    was = sum(row["score"] for _, row in rows) / len(rows)
    if fit.n_val:
        source = f"{fit.n_val} validation" + (
            f" and {len(fit.train_rows)} training" if fit.train_rows else ""
        )
        runner.run.recorder.phase(ORIGIN, f"offsets for {name!r} from {source} rows")
        trial = runner.evaluate(calibrated, examples, subset="val", parents=[before],
                                origin=ORIGIN)  # fmt: skip
        runner.prefer(trial)
        where = f"the valset{fit.train_line()}"
    else:  # no valset: its training rows are the copy's trial, which competes with nothing
        runner.run.recorder.phase(ORIGIN, f"offsets for {name!r} from {len(rows)} training rows")
        trial = runner.evaluate(calibrated, examples, subset=TRAIN_SUBSET, parents=[before],
                                origin=ORIGIN, track_best=False)  # fmt: skip
        where = f"{len(rows)} training rows"
    runner.run.recorder.log(f"{ORIGIN}: {was:.3f} -> {trial.score:.3f} on {where}")
    return calibrated


def derived_row(row: dict, name: str, annotation: Any, found: ScoredRow, pick: str) -> dict:
    """`row` as it is when field `name` answers `pick` (one of the values `found` scored):
    output, score, feedback and first trace step; no LM call (the same scores, shifted)."""
    value = cast_value(pick, annotation)
    step = {**_step(row), "outputs": {**_step(row).get("outputs", {}), name: value}}
    return {**row, "outputs": {**(row.get("outputs") or {}), name: value},
            "score": found.metric_by_value[pick],
            "feedback": found.feedback_by_value.get(pick),
            "trace": [step, *(row.get("trace") or [])[1:]]}  # fmt: skip


def pick_of(scores: dict[str, float], offsets: dict[str, float]) -> str:
    """The value `offsets` pick from a row's scores (each offset subtracted from its score)."""
    return max(scores, key=lambda v: scores[v] - offsets.get(v, 0.0))
