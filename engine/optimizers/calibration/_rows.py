"""The rows choice calibration fits on: the chosen program's validation rows, topped up with
training rows the program does not show as demos (docs/design/choice_calibration.md). A valset
under `FIT_ROWS` rows is topped up with up to `FIT_ROWS - len(valset)` of them (one LM call each,
a trial on subset "train", never a candidate for the best), only once the validation rows show
the model reports choice scores; with no valset at all, an optimizer whose program keeps fixed
demos may fit on those training rows alone (`Optimizer.fits_on_training_rows`).
"""

from __future__ import annotations

from typing import Any

from engine.adapters.chat import closed_values
from engine.core import BudgetExhausted, settings
from engine.evaluate.evaluate import TooManyErrors
from engine.optimizers.spine import MAX_EXAMPLE_SCORE, Candidate, example_id

FIT_ROWS = 12  # rows the fit wants; a smaller valset is topped up with training rows
TRAIN_SUBSET = "train"  # the trial of the chosen program on the top-up rows


def rows_of(program: Any, examples: list[Any], runner: Any) -> list[tuple[Any, dict]] | None:
    """(example, stored row) for every example the program was evaluated on, or None when
    some were not (nothing is evaluated here) or a row did not call its predictor exactly
    once."""
    candidate = Candidate.from_program(program)
    pairs = []
    for example in examples:
        row = runner.run.results.get((candidate.hash, example_id(example)))
        if row is None:
            return None
        if not row.get("error") and len(row.get("trace") or []) != 1:
            return None
        pairs.append((example, row))
    return pairs


def unused_training(program: Any, trainset: list[Any], valset: list[Any]) -> list[Any]:
    """Up to `FIT_ROWS - len(valset)` training examples, in order, that are neither validation
    examples nor shown to the program's predictor as demos (same input values)."""
    wanted = FIT_ROWS - len(valset)
    if wanted <= 0:
        return []
    predictor = program.predictors()[0]
    names = list(predictor.signature.input_fields)
    shown = {_inputs_of(demo, names) for demo in predictor.demos}
    held = {example_id(e) for e in valset}
    out = []
    for example in trainset:
        if example_id(example) not in held and _inputs_of(example, names) not in shown:
            out.append(example)
            if len(out) == wanted:
                break
    return out


def training_rows(
    program: Any,
    trainset: list[Any],
    valset: list[Any],
    runner: Any,
    gain_needed: float | None = None,
) -> list[tuple[Any, dict]]:
    """The program's rows on `unused_training` (LM calls, as a "train" trial), or [] when there
    are none, the budget runs out or too many fail (the fit then reads the valset alone).

    `gain_needed`: the metric a fit must still gain on these rows to be kept. A row can gain at
    most what its reply missed (1 minus its score, for scores in [0, 1]), so the rows stop, and
    [] is returned, once the replies so far leave less than that to gain (no fit could be kept:
    the same outcome as reading them all)."""
    examples = unused_training(program, trainset, valset)
    if not examples:
        return []
    # the replies' score sum above which the rows left could not make up what a fit needs
    ceiling = None if gain_needed is None else len(examples) * MAX_EXAMPLE_SCORE - gain_needed

    def enough(total: float | None) -> bool:
        return ceiling is not None and total is not None and total > ceiling + 1e-9

    try:
        trial = runner.evaluate(
            program, examples, subset=TRAIN_SUBSET, track_best=False, enough=enough
        )
    except (BudgetExhausted, TooManyErrors) as exc:
        runner.run.recorder.log(f"choice calibration: validation rows only ({exc})")
        return []
    if trial.n < len(examples):
        runner.run.recorder.log(
            f"choice calibration: stopped after {trial.n} of {len(examples)} training rows; "
            f"the rest could not gain the {gain_needed:g} a fit needs"
        )
        return []
    return rows_of(program, examples, runner) or []


def add_calibration_note(
    estimate: Any,
    student: Any,
    trainset: list[Any],
    valset: list[Any],
    without_valset: bool = False,
) -> None:
    """Note `forecast_calls` in a run's `Estimate`. Not added to its calls: whether they are
    made depends on the chosen program's validation rows and the scores the model reports on
    them, which no forecast knows (counted in, they put a SIMBA forecast 22% over its run)."""
    calls = forecast_calls(student, trainset, valset, without_valset)
    if calls:
        note = f"up to {calls} more calls on training rows if closed choices are calibrated"
        estimate.notes = "; ".join(n for n in (estimate.notes, note) if n)


def forecast_calls(
    student: Any, trainset: list[Any], valset: list[Any], without_valset: bool = False
) -> int:
    """At most how many calls `training_rows` makes in a run: 0 unless the student
    `reports_choice_scores`, and, with no valset, unless the optimizer fits on training rows
    alone (`without_valset`)."""
    if student is None or not (valset or without_valset) or not reports_choice_scores(student):
        return 0
    held = {example_id(e) for e in valset}
    unused = sum(1 for e in trainset if example_id(e) not in held)
    return max(0, min(FIT_ROWS - len(valset), unused))


def reports_choice_scores(program: Any) -> bool:
    """Whether `program` is one predictor whose last output is a closed choice, run by a model
    that reports choice scores (the embedded model, or a provider that gives log-probabilities:
    `engine.lm.choice_scores`), before any call is made."""
    predictors = program.predictors()
    if len(predictors) != 1 or not _closed_last_output(predictors[0].signature):
        return False
    lm = predictors[0].lm if predictors[0].lm is not None else settings.lm
    return bool(getattr(lm, "supports_stop", False) or getattr(lm, "supports_logprobs", False))


def choices_left_uncalibrated(program: Any) -> list[str]:
    """The paths of the predictors of a program of several steps whose outputs hold a closed
    choice answered by a model that reports choice scores (the embedded one, or a served one
    with log-probabilities): calibration fits one step only, so it leaves these (what a later
    step writes after a shifted choice is not known without calling it again)."""
    named = program.named_predictors()
    if len(named) < 2:
        return []
    return [
        path for path, predictor in named
        if any(closed_values(f) for f in predictor.signature.output_fields.values())
        and _gives_scores(predictor.lm if predictor.lm is not None else settings.lm)
    ]  # fmt: skip


def _gives_scores(lm: Any) -> bool:
    return bool(getattr(lm, "supports_stop", False) or getattr(lm, "supports_logprobs", False))


def _closed_last_output(signature: Any) -> bool:
    outputs = list(signature.output_fields.values())
    return bool(outputs) and bool(closed_values(outputs[-1]))


def _inputs_of(example: Any, names: list[str]) -> tuple[str, ...]:
    values = dict(example.items()) if hasattr(example, "items") else dict(example)
    return tuple(str(values.get(name)) for name in names)
