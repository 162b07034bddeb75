"""The spine's last step: the chosen program's closed choice, calibrated.

Where the run has labelled rows to fit on (a metric, and a valset or, for an optimizer whose
program keeps fixed demos, unused training rows), offsets are fitted to them
(`_choices`). A program of several steps is left uncalibrated, and the run's log says so.
Where it has none and the optimizer allows it
(`Optimizer.content_free_prior`), the choice gets its content-free offsets instead
(`_content_free`: one LM call). `Optimizer.calibrates_choices = False` turns
both off. See `docs/design/choice_calibration.md`.
"""

from __future__ import annotations

from typing import Any

from engine.optimizers.calibration._choices import calibrate_choices
from engine.optimizers.calibration._content_free import CONTENT_FREE_INPUT, content_free_prior
from engine.optimizers.calibration._rows import (
    add_calibration_note,
    choices_left_uncalibrated,
    reports_choice_scores,
)


def fits_on_labels(optimizer: Any, valset: list[Any]) -> bool:
    """Whether the run has labelled rows the fit can read (see module)."""
    return (
        optimizer.metric is not None
        and optimizer.uses_valset
        and (bool(valset) or optimizer.fits_on_training_rows)
    )


def calibrated(optimizer: Any, program: Any, job: Any) -> Any:
    """`program` with its closed choice calibrated as the run allows (see module)."""
    if not optimizer.calibrates_choices:
        return program
    left = choices_left_uncalibrated(program)
    if left:
        steps = ", ".join(dict.fromkeys(path.split(".")[0] for path in left))
        job.runner.run.recorder.log(
            f"choice calibration skipped: it tunes a program of one step, and this one has "
            f"{len(program.predictors())}; the choices of {steps} are still picked from the "
            "allowed values, uncalibrated",
        )  # fmt: skip
        return program
    if fits_on_labels(optimizer, job.valset):
        return calibrate_choices(
            program, job.valset, job.runner, job.trainset, optimizer.fits_on_training_rows
        )
    if optimizer.content_free_prior:
        return content_free_prior(program, job.runner)
    return program


def note_calibration(
    optimizer: Any, estimate: Any, student: Any, trainset: list[Any], valset: list[Any]
) -> None:
    """Add the calibration step's calls to a run's `Estimate`: the content-free call, which is
    certain, to its calls; the training rows a fit may read, to its notes only."""
    if not optimizer.calibrates_choices:
        return
    if student is not None and choices_left_uncalibrated(student):
        note = "choice calibration does not apply to a program of several steps"
        estimate.notes = "; ".join(n for n in (estimate.notes, note) if n)
        return
    if fits_on_labels(optimizer, valset):
        add_calibration_note(estimate, student, trainset, valset, optimizer.fits_on_training_rows)
    elif optimizer.content_free_prior and student is not None and reports_choice_scores(student):
        estimate.calls["task"] = estimate.calls.get("task", 0) + 1
        note = f"1 call on the input {CONTENT_FREE_INPUT!r} to calibrate the closed choice"
        estimate.notes = "; ".join(n for n in (estimate.notes, note) if n)
