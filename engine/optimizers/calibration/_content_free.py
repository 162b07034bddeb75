"""Content-free calibration: the lean a program gives a closed choice, read on an empty input
(docs/design/choice_calibration.md, "Nothing labelled to fit on"). Where nothing labelled can fit
choice offsets (LabeledFewShot with no metric or no valset, an Ensemble's members), the embedded
model's scores on an input with no content ("N/A" in every input field; Zhao et al. 2021,
"Calibrate before use") estimate the lean, and subtracting them picks each value by how far the
real input moves the model from it. One LM call per program; scope as in choice calibration,
and a field that already has offsets keeps them. A failed call leaves the program as it is.
"""

from __future__ import annotations

import logging
from typing import Any

from engine.core import BudgetExhausted
from engine.optimizers.calibration._rows import reports_choice_scores
from engine.optimizers.spine import Candidate

logger = logging.getLogger(__name__)

CONTENT_FREE_INPUT = "N/A"
ORIGIN = "content-free calibration"


def applies(program: Any) -> bool:
    """Whether `program` is in scope (see module): a closed last output on the embedded model,
    with no offsets yet (also whether a search's trials of it are scored cross-fitted)."""
    if not reports_choice_scores(program):
        return False
    predictor = program.predictors()[0]
    return not predictor.choice_offsets.get(list(predictor.signature.output_fields)[-1])


def content_free_offsets(program: Any) -> tuple[str, dict[str, float]] | None:
    """(field, offsets) for `program`'s closed last output from one call on the content-free
    input, or None when it does not apply (see module) or the call gives no scores."""
    if not applies(program):
        return None
    predictor = program.predictors()[0]
    name = list(predictor.signature.output_fields)[-1]
    inputs = dict.fromkeys(predictor.signature.input_fields, CONTENT_FREE_INPUT)
    try:
        prediction = predictor(**inputs)
    except BudgetExhausted:
        raise
    except Exception as exc:  # an LM or parse error: the program stays as it is
        logger.warning("%s skipped: %s: %s", ORIGIN, type(exc).__name__, exc)
        return None
    scores = prediction.choice_scores.get(name) or {}
    if len(scores) < 2:
        return None
    values = sorted(scores)  # only differences matter: the first value's offset stays 0
    reference = scores[values[0]]
    offsets = {v: round(scores[v] - reference, 4) for v in values[1:]}
    return name, {v: o for v, o in offsets.items() if o}


def content_free_prior(program: Any, runner: Any = None) -> Any:
    """`program`, or a calibrated copy: its closed last output carries its content-free offsets.

    With a `runner` (inside an optimizer run) the copy is registered as a candidate (origin
    "content-free calibration") and the step is logged; a budget that runs out leaves the
    program as it is."""
    if not applies(program):
        return program
    recorder = None if runner is None else runner.run.recorder
    if recorder is not None:
        recorder.phase(ORIGIN, f"one call on the input {CONTENT_FREE_INPUT!r}")
    try:
        found = content_free_offsets(program)
    except BudgetExhausted as exc:
        if recorder is not None:
            recorder.log(f"{ORIGIN} skipped: {exc}", level="warning")
        return program
    if found is None or not found[1]:
        if recorder is not None:
            recorder.log(f"{ORIGIN}: no offsets (the call failed or gave no lean)")
        return program
    name, offsets = found
    calibrated = program.deepcopy()
    predictor = calibrated.predictors()[0]
    predictor.choice_offsets = {**predictor.choice_offsets, name: offsets}
    if runner is not None:
        runner.register(calibrated, [Candidate.from_program(program).hash], ORIGIN)
        shown = ", ".join(f"{v} {o:+.2f}" for v, o in offsets.items())
        runner.run.recorder.log(f"{ORIGIN}: offsets for {name!r}: {shown}")
    return calibrated
