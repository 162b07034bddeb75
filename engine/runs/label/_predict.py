"""Label a spreadsheet: run a stored run's program on every row of a CSV.

`predict_table` returns the rows with the input columns as they were, each output field under
its own name, `<field>_confidence` for a choice output when the model reports its choice scores,
and an `error` column: a row that fails, or that the call budget no longer covers, is kept with
the reason, never dropped. Each cell is held to LONG_REPLY_CHARS (the bound the LM cuts a reply
at), so a labelled file reads back with the shared loader; `to_csv` neutralises every cell.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.core import BudgetExhausted, SpecError, settings
from engine.lm.budget import Budget
from engine.lm.calls.reply_faults import CHARS_PER_TOKEN_LIMIT, LONG_REPLY_CHARS
from engine.lm.usage import UsageLedger
from engine.optimizers.spine import calls_per_run
from engine.runs.data import (
    CsvProblem,
    cast_cell,
    check_rows,
    field_types,
    parse_table,
    read_table,
    safe_cell,
)
from engine.runs.export import load_program, program_state, rebuild, run_spec, stored_run
from engine.runs.pipeline import LMFactory, task_lm, use_run_cache
from engine.runs.spec import ProjectSpec
from engine.runs.store import store_location

Progress = Callable[[int, int], None]  # (rows done, rows in all)
ERROR = "error"
CONFIDENCE = "_confidence"


@dataclass
class Labelled:
    """The labelled table: `header` and `rows` (text cells, one dict per input row, in order)."""

    header: list[str]
    rows: list[dict[str, str]]
    calls: int = 0  # uncached LM calls made
    failed: int = 0  # rows with a reason in the error column (not run ones included)
    stopped: str = ""  # why rows were left unrun (the budget), else ""
    outputs: dict[str, str] = field(default_factory=dict)  # output field -> its column

    def to_csv(self) -> str:
        """The table as CSV text, safe to open in a spreadsheet (formulas shown as text)."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([safe_cell(name) for name in self.header])
        for row in self.rows:
            writer.writerow([safe_cell(row.get(name, "")) for name in self.header])
        return out.getvalue()


def read_input_csv(
    source: Path | bytes | str, name: str = "the file"
) -> tuple[list[str], list[dict[str, str]]]:
    """Header and rows of a CSV to label (a path, or the bytes of an upload): the shared
    loader's limits and messages (`engine.runs.data._csv`)."""
    if isinstance(source, Path):
        header, body = read_table(source, name)
    else:
        header, body = parse_table(source, name)
    check_rows(len(body), name)
    return header, [dict(zip(header, row)) for row in body]


def _fold(name: str) -> str:
    return " ".join(name.split()).casefold()


def match_inputs(spec: ProjectSpec, header: list[str]) -> dict[str, str]:
    """Input field -> the CSV column that feeds it.

    The spec's `data.columns` mapping is used when its columns are in this CSV (a file shaped
    like the training CSV); else each field takes the column of its own name (case and spaces
    ignored). A field with no column raises CsvProblem naming it and the columns there are.
    """
    column_of = {fname: col for col, fname in spec.data.columns.items()}
    folded = {_fold(h): h for h in header}
    found: dict[str, str] = {}
    for name in spec.input_fields:
        mapped = column_of.get(name)
        if mapped is not None and mapped in header:
            found[name] = mapped
        elif _fold(name) in folded:
            found[name] = folded[_fold(name)]
    missing = [n for n in spec.input_fields if n not in found]
    if missing:
        wanted = ", ".join(
            repr(n) + (f" (or {column_of[n]!r})" if column_of.get(n, n) != n else "")
            for n in missing
        )
        raise CsvProblem(
            f"The CSV has no column for the program's input {wanted}. Its columns: "
            f"{', '.join(header)}. Rename a column to that name and upload it again."
        )
    return found


def _unique(name: str, taken: set[str]) -> str:
    out, n = name, 1
    while _fold(out) in {_fold(t) for t in taken}:
        n += 1
        out = f"{name}_predicted" if n == 2 else f"{name}_predicted_{n - 1}"
    taken.add(out)
    return out


def output_header(
    spec: ProjectSpec, header: list[str]
) -> tuple[list[str], dict[str, str], dict[str, str]]:
    """The labelled table's header, output field -> column, choice field -> confidence column.

    A name already used by an input column gets `_predicted` added: no input column is lost."""
    taken = set(header)
    columns: dict[str, str] = {}
    confidence: dict[str, str] = {}
    for f in (f for step in spec.pipeline for f in step.outputs):  # every step's, in order
        columns[f.name] = _unique(f.name, taken)
        if f.type == "literal":
            confidence[f.name] = _unique(f.name + CONFIDENCE, taken)
    error = _unique(ERROR, taken)
    extra = [c for name in columns for c in (columns[name], confidence.get(name)) if c]
    return [*header, *extra, error], columns, confidence


def _confidence(scores: dict[str, dict[str, float]], value: Any) -> str:
    """The model's probability of the value it chose (scores are normalised log-probs)."""
    if not scores:
        return ""
    chosen = scores.get(str(value).strip())
    if chosen is None:
        chosen = max(scores.values())
    return f"{math.exp(chosen):.3f}"


def estimate_calls(
    run_id: str, rows: int, db_path: str | Path | None = None, candidate: str | None = None
) -> tuple[int, int]:
    """(LM calls per row at most, calls for `rows` rows) of the run's program."""
    per_row = calls_per_run(load_program(run_id, db_path, candidate))
    return per_row, per_row * rows


def predict_table(
    run_id: str,
    header: list[str],
    rows: list[dict[str, str]],
    *,
    db_path: str | Path | None = None,
    candidate: str | None = None,
    max_calls: int | None = None,
    progress: Progress | None = None,
    lm_factory: LMFactory | None = None,
) -> Labelled:
    """Run the run's program (its best, or `candidate`) on every row; see the module doc.

    Raises (before any LM call) when the run or candidate is unknown or an input column is
    missing; after that nothing is raised for a row: its reason goes to the error column.
    `max_calls` caps the uncached LM calls; rows it no longer covers are kept, unrun.
    """
    run = stored_run(run_id, db_path)
    spec = run_spec(run)
    program = rebuild(spec, program_state(run_id, db_path, candidate))
    return predict_rows(
        spec, program, header, rows, db_path=db_path, max_calls=max_calls, progress=progress,
        lm_factory=lm_factory,
    )  # fmt: skip


def predict_rows(
    spec: ProjectSpec,
    program: Any,
    header: list[str],
    rows: list[dict[str, str]],
    *,
    db_path: str | Path | None = None,
    max_calls: int | None = None,
    progress: Progress | None = None,
    lm_factory: LMFactory | None = None,
) -> Labelled:
    """`predict_table` for a program at hand (e.g. a spec's untuned program, which drafts
    answers for rows nobody has labelled yet)."""
    inputs = match_inputs(spec, header)
    out_header, columns, confidence = output_header(spec, header)
    error_column = out_header[-1]
    if max_calls is not None and max_calls < 1:
        raise SpecError(f"max_calls: {max_calls} allows no LM call; give 1 or more")
    use_run_cache(store_location(db_path))
    lm = task_lm(spec, lm_factory)
    types = field_types(spec)
    ledger = UsageLedger()
    budget = Budget(max_calls=max_calls)
    budget.attach(ledger)
    result = Labelled(out_header, [], outputs=columns)
    trackers = (*settings.usage_trackers, ledger)
    long_calls: list[Any] = []  # calls whose reply the LM cut
    ledger.subscribe(lambda record: long_calls.append(record) if record.fault == "long" else None)
    with settings.context(lm=lm, budget=budget, usage_trackers=trackers):
        for index, row in enumerate(rows):
            record = {name: "" for name in out_header}
            record.update({name: row.get(name, "") for name in header})
            if result.stopped:
                record[error_column] = f"not run: {result.stopped}"
            else:
                seen = len(long_calls)
                cells = _label_row(
                    program, spec, row, inputs, types, columns, confidence, error_column, result
                )
                record.update(_bounded(cells, error_column, len(long_calls) > seen))
            if record.get(error_column):
                result.failed += 1
            result.rows.append(record)
            if progress is not None:
                progress(index + 1, len(rows))
    result.calls = sum(1 for r in ledger.records if not r.cache_hit)
    return result


def _label_row(
    program: Any,
    spec: ProjectSpec,
    row: dict[str, str],
    inputs: dict[str, str],
    types: dict[str, Any],
    columns: dict[str, str],
    confidence: dict[str, str],
    error_column: str,
    result: Labelled,
) -> dict[str, str]:
    """The output cells of one row (or its error); sets `result.stopped` at the budget."""
    empty = [name for name, col in inputs.items() if not str(row.get(col, "")).strip()]
    if empty:
        return {
            error_column: f"skipped: the input {', '.join(repr(inputs[n]) for n in empty)} is empty"
        }
    values = {n: cast_cell(row.get(col, ""), types.get(n, str)) for n, col in inputs.items()}
    trace: list[tuple[Any, Any, Any]] = []
    try:
        with settings.context(trace=trace):
            prediction = program(**values)
    except BudgetExhausted as exc:
        limit = settings.budget.max_calls if settings.budget is not None else None
        used_up = exc.limit == "max_calls" and limit
        result.stopped = f"the budget of {limit} LM calls was used up" if used_up else str(exc)
        return {error_column: f"not run: {result.stopped}"}
    except Exception as exc:  # a row that fails is kept with its reason
        return {error_column: f"{type(exc).__name__}: {exc}"}
    scores: dict[str, dict[str, float]] = {}
    for _, _, step in trace:
        scores.update(getattr(step, "choice_scores", None) or {})
    cells: dict[str, str] = {error_column: ""}
    for name, column in columns.items():
        value = prediction.get(name, "") if hasattr(prediction, "get") else ""
        cells[column] = "" if value is None else str(value)
        if name in confidence:
            cells[confidence[name]] = _confidence(scores.get(name, {}), value)
    return cells


def _bounded(cells: dict[str, str], error_column: str, reply_cut: bool) -> dict[str, str]:
    """The cells, none longer than LONG_REPLY_CHARS and with no lone surrogate (which no file
    can hold); the error column says when the LM cut the row's reply or a cell was cut here."""
    notes = [
        f"reply cut: the model's reply was longer than a reply may be ({CHARS_PER_TOKEN_LIMIT} "
        f"characters per token of max_tokens, {LONG_REPLY_CHARS:,} at most); its start is kept"
    ] if reply_cut else []  # fmt: skip
    for column, text in cells.items():
        if len(text) > LONG_REPLY_CHARS:
            notes.append(f"{column!r} cut from {len(text):,} to {LONG_REPLY_CHARS:,} characters")
            text = text[:LONG_REPLY_CHARS]
        cells[column] = text.encode("utf-8", "replace").decode("utf-8")
    if notes:
        cells[error_column] = "; ".join(filter(None, (cells[error_column], *notes)))
    return cells


def input_fields(run_id: str, db_path: str | Path | None = None) -> list[str]:
    """The input fields of a run's program (what "Try your own input" asks for)."""
    return run_spec(stored_run(run_id, db_path)).input_fields


def try_input(
    run_id: str,
    values: dict[str, str],
    *,
    db_path: str | Path | None = None,
    candidate: str | None = None,
    lm_factory: LMFactory | None = None,
) -> dict[str, str]:
    """One input typed by hand -> {output column: value, confidence columns, "error"}."""
    header = list(values)
    labelled = predict_table(
        run_id, header, [dict(values)], db_path=db_path, candidate=candidate,
        lm_factory=lm_factory,
    )  # fmt: skip
    return {k: v for k, v in labelled.rows[0].items() if k not in header}
