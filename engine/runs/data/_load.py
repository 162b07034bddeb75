"""Data for a spec: read the CSV, map columns to fields, check it, split train/val/test.

Every problem is found before any LM call and raised as a SpecError naming the spec key
(`data.csv`, `data.columns`, ...) and what to do.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.core import CastError, Example, SpecError, cast_value, literal_choices
from engine.optimizers import registry
from engine.optimizers.auto import choose_optimizer
from engine.optimizers.spine import example_id
from engine.runs.data._csv import MAX_ROWS, CsvProblem, check_rows, read_numbered_table
from engine.runs.spec import ProjectSpec, field_annotation, spec_from_dict


@dataclass(frozen=True)
class SkippedRow:
    """A CSV row left out of the run: its file's spec key, its number as a spreadsheet shows it
    (the header is row 1) and why."""

    file: str
    row: int
    why: str


UNLABELLED = "no answer yet: the row waits to be labelled"


@dataclass
class DataSplit:
    """Examples ready for an optimizer (inputs marked with `with_inputs`)."""

    train: list[Example]
    val: list[Example]
    test: list[Example]
    columns: dict[str, str]  # effective CSV column -> field name
    rows: int  # usable rows in the main CSV
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # the run can go, but scores will suffer
    skipped: list[SkippedRow] = field(default_factory=list)
    row_of: dict[str, tuple[str, int]] = field(default_factory=dict)  # id -> (file key, row)

    def sizes(self) -> dict[str, int]:
        return {"train": len(self.train), "val": len(self.val), "test": len(self.test)}


@dataclass
class DataReport:
    """What `validate_spec_against_data` found: sizes, the optimizer that will run and why."""

    sizes: dict[str, int]
    rows: int
    columns: dict[str, str]
    optimizer: str
    optimizer_reason: str
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # shown by `validate` and the dashboard

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


OUTSIDE_ENV = "TUNESMITH_ALLOW_OUTSIDE_DATA"  # set by the CLI's --allow-outside-data


def resolve_path(
    spec: ProjectSpec, path: str, key: str = "data.csv", allow_outside: bool | None = None
) -> Path:
    """A data path from the spec, relative to the spec file's folder unless absolute.

    A path that leads outside that folder (absolute, `..`, a symlink) is refused unless
    allowed: a spec from elsewhere must not read the user's other files. The CLI allows it
    when given `--allow-outside-data`.
    """
    if not str(path or "").strip():
        raise SpecError(
            f"{key}: no data file given; write the file's name, relative to the spec's folder "
            f"{spec.base_dir}"
        )
    if "\x00" in str(path):
        raise SpecError(
            f"{key}: the path {path!r} holds a NUL byte (\\x00), which no file name can hold; "
            "write the file's name again"
        )
    p = Path(path).expanduser()
    resolved = p.resolve() if p.is_absolute() else (spec.base_dir / p).resolve()
    if allow_outside is None:
        allow_outside = os.environ.get(OUTSIDE_ENV, "") == "1"
    base = spec.base_dir.resolve()
    if not allow_outside and not resolved.is_relative_to(base):
        raise SpecError(
            f"{key}: {path} is outside the project folder {base}; copy the file into that "
            "folder, or run from the command line with --allow-outside-data to read it anyway"
        )
    return resolved


def read_csv(
    path: Path, key: str = "data.csv", max_rows: int | None = None
) -> tuple[list[str], list[dict[str, str]]]:
    """Header and rows of a CSV file (the shared loader, csvfile.py); problems name `key`.

    A folder, a pipe or a device is named as such (never opened); `max_rows` (examples: the
    shared MAX_ROWS) refuses a longer table.
    """
    header, rows, _ = read_numbered_csv(path, key, max_rows)
    return header, rows


def read_numbered_csv(
    path: Path, key: str = "data.csv", max_rows: int | None = None
) -> tuple[list[str], list[dict[str, str]], list[int]]:
    """`read_csv` and each row's number as a spreadsheet shows it (the header is row 1)."""
    try:
        header, body = read_numbered_table(path, f"the CSV file {path}")
        if max_rows is not None:
            check_rows(len(body), f"the CSV file {path}")
    except CsvProblem as exc:
        raise CsvProblem(f"{key}: {exc}") from None
    return header, [dict(zip(header, row)) for _, row in body], [n for n, _ in body]


def effective_columns(
    spec: ProjectSpec, header: list[str], key: str = "data.csv"
) -> dict[str, str]:
    """CSV column -> field: the spec's mapping, plus same-named columns for unmapped fields."""
    mapping = dict(spec.data.columns)
    absent = [c for c in mapping if c not in header]
    if absent:
        raise SpecError(
            f"data.columns: column(s) {absent} are not in the CSV ({key}); its columns are {header}"
        )
    for name in spec.input_fields + spec.label_fields:
        if name not in mapping.values() and name in header:
            mapping[name] = name
    mapped = set(mapping.values())
    missing_inputs = [f for f in spec.input_fields if f not in mapped]
    if missing_inputs:
        raise SpecError(
            f"data.columns: input field(s) {missing_inputs} have no CSV column; "
            "map a column to each "
            f"(CSV columns: {header})"
        )
    missing_labels = [f for f in spec.label_fields if f not in mapped]
    if missing_labels:
        raise SpecError(
            f"data.columns: label field(s) {missing_labels} (outputs of the last step) have no CSV "
            f"column in {key}; map a label column to each (CSV columns: {header})"
        )
    return mapping


def field_types(spec: ProjectSpec) -> dict[str, Any]:
    """Each field's Python type, by name, over the spec's steps."""
    out: dict[str, Any] = {}
    for step in spec.pipeline:
        for f in step.fields:
            out.setdefault(f.name, field_annotation(f))
    return out


def cast_cell(text: str, annotation: Any) -> Any:
    """A CSV cell as the field's type; literal and str stay text, uncastable values stay text."""
    if annotation is str:
        return text
    if literal_choices(annotation) is not None:
        return text.strip()
    try:
        return cast_value(text, annotation)
    except (CastError, ValueError, TypeError):
        return text


def to_examples(
    spec: ProjectSpec,
    rows: list[dict[str, str]],
    mapping: dict[str, str],
    numbers: list[int] | None = None,
    key: str = "data.csv",
) -> tuple[list[Example], list[SkippedRow], list[int]]:
    """Rows -> (Examples with the pipeline inputs marked, the rows skipped for a missing value
    and why, each example's row number). `numbers`: the rows' numbers (default: 2, 3, ...).

    A row with its inputs but no answer is not an example (never one with "" as its gold): it
    is skipped as UNLABELLED, waiting to be labelled; only labelled rows are split. Under a
    judge metric (which grades against its criteria, with the answer when there is one) such a
    row is an example of its inputs alone."""
    types = field_types(spec)
    wanted = spec.input_fields + spec.label_fields
    column_of = {fname: col for col, fname in mapping.items()}
    examples, skipped, kept = [], [], []
    for number, row in zip(numbers or range(2, len(rows) + 2), rows, strict=True):
        values = {name: row.get(column_of[name], "") for name in wanted}
        empty = [column_of[name] for name, v in values.items() if not str(v).strip()]
        inputs_there = all(column_of[name] not in empty for name in spec.input_fields)
        if empty and inputs_there and spec.metric.kind != "judge":
            skipped.append(SkippedRow(key, number, UNLABELLED))  # waits for its answer
            continue
        if empty and not inputs_there:
            cells = ", ".join(repr(c) for c in empty)
            skipped.append(SkippedRow(key, number, f"the {cells} cell{'s' * (len(empty) > 1)} "
                                      f"{'are' if len(empty) > 1 else 'is'} empty"))  # fmt: skip
            continue
        record = {
            name: cast_cell(values[name], types.get(name, str))
            for name in wanted if str(values[name]).strip()
        }  # fmt: skip
        examples.append(Example(record).with_inputs(*spec.input_fields))
        kept.append(number)
    return examples, skipped, kept


def _sizes(spec: ProjectSpec, n: int, with_test: bool) -> tuple[int, int, int]:
    d = spec.data
    names = ["train", "val"] + ([] if with_test else ["test"])
    given = {"train": d.train_size, "val": d.val_size, "test": d.test_size}
    fixed = sum(given[k] or 0 for k in names)
    if fixed > n:
        parts = " + ".join(f"{k}_size {given[k]}" for k in names if given[k])
        raise SpecError(
            f"data: {parts} = {fixed}, but the CSV has only {n} usable rows; lower the sizes"
        )
    free = [k for k in names if given[k] is None]
    left = n - fixed
    sizes = {k: given[k] or 0 for k in names}
    for i, k in enumerate(free):
        sizes[k] = left // len(free) + (1 if i < left % len(free) else 0)
    return sizes["train"], sizes["val"], sizes.get("test", 0)


def _label_warnings(spec: ProjectSpec, examples: list[Example], where: str) -> list[str]:
    """Labels that are none of their field's choices: the model can never give them."""
    warnings = []
    for f in spec.pipeline[-1].outputs:
        if f.type != "literal" or not f.choices:
            continue
        counts: dict[str, int] = {}
        for ex in examples:
            value = str(ex[f.name])
            if value not in f.choices:
                counts[value] = counts.get(value, 0) + 1
        if not counts:
            continue
        folded = {" ".join(str(c).split()).casefold(): str(c) for c in f.choices}
        shown = []
        for value, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:8]:
            match = folded.get(" ".join(value.split()).casefold())
            hint = f", did you mean {match!r}?" if match else ""
            shown.append(f"{value!r} ({n} row{'s' if n != 1 else ''}{hint})")
        more = f" and {len(counts) - 8} more" if len(counts) > 8 else ""
        total = sum(counts.values())
        choices = ", ".join(repr(str(c)) for c in f.choices)
        warnings.append(
            f"{where}: {total} of {len(examples)} row(s) have a {f.name!r} label that is not one "
            f"of its choices ({choices}): {', '.join(shown)}{more}. The model can only answer "
            "with a choice, so an exact-match metric scores these rows 0; fix the labels in the "
            "CSV or add them to the choices"
        )
    return warnings


def _near_duplicate_labels(
    spec: ProjectSpec, rows: list[dict[str, str]], mapping: dict[str, str], key: str
) -> list[str]:
    """Notes for label values that differ only by case or spaces ('Billing' vs 'billing ')."""
    notes = []
    for column, name in mapping.items():
        if name not in spec.label_fields:
            continue
        forms: dict[str, dict[str, int]] = {}
        for number, row in enumerate(rows, start=2):
            value = row.get(column, "")
            if value.strip():
                forms.setdefault(" ".join(value.split()).casefold(), {}).setdefault(value, number)
        clashes = [f for f in forms.values() if len(f) > 1]
        for found in clashes[:3]:
            shown = ", ".join(f"{v!r} (row {n})" for v, n in list(found.items())[:4])
            notes.append(
                f"{key}: column {column!r} has labels that differ only by case or spaces: "
                f"{shown}; an exact-match metric treats them as different answers, so make "
                "them identical"
            )
    return notes


def load_data(spec: ProjectSpec) -> DataSplit:
    """Read, check and split the spec's data (deterministic for a given `data.seed`)."""
    path = resolve_path(spec, spec.data.csv)
    header, rows, numbers = read_numbered_csv(path, "data.csv", max_rows=MAX_ROWS)
    mapping = effective_columns(spec, header, "data.csv")
    examples, skipped, kept = to_examples(spec, rows, mapping, numbers)
    row_of: dict[str, tuple[str, int]] = {}
    for example, number in zip(examples, kept, strict=True):
        row_of.setdefault(example_id(example), ("data.csv", number))
    notes = _skipped_notes("data.csv", skipped)
    notes += _near_duplicate_labels(spec, rows, mapping, "data.csv")
    if not examples and any(s.why == UNLABELLED for s in skipped):
        raise SpecError(
            f"data.csv: none of the {len(rows)} rows has an answer yet; label some rows first "
            "(only labelled rows are used)"
        )
    if not examples:
        raise SpecError(
            f"data.csv: no usable rows in {path} (every row has an empty input or label)"
        )
    rng = random.Random(spec.data.seed)
    order = list(range(len(examples)))
    rng.shuffle(order)
    shuffled = [examples[i] for i in order]
    test: list[Example]
    warnings = _label_warnings(spec, examples, "data.csv")
    if spec.data.test_csv:
        test_path = resolve_path(spec, spec.data.test_csv, "data.test_csv")
        t_header, t_rows, t_numbers = read_numbered_csv(
            test_path, "data.test_csv", max_rows=MAX_ROWS
        )
        t_map = effective_columns(spec, t_header, "data.test_csv")
        test, t_skipped, t_kept = to_examples(spec, t_rows, t_map, t_numbers, "data.test_csv")
        for example, number in zip(test, t_kept, strict=True):
            row_of.setdefault(example_id(example), ("data.test_csv", number))
        skipped = skipped + t_skipped
        warnings += _label_warnings(spec, test, "data.test_csv")
        random.Random(spec.data.seed).shuffle(test)
        if spec.data.test_size is not None:
            if spec.data.test_size > len(test):
                raise SpecError(
                    f"data.test_size: {spec.data.test_size} is more than the {len(test)} "
                    "usable rows of data.test_csv"
                )
            test = test[: spec.data.test_size]
        n_train, n_val, _ = _sizes(spec, len(shuffled), with_test=True)
        notes += _skipped_notes("data.test_csv", t_skipped)
    else:
        n_train, n_val, n_test = _sizes(spec, len(shuffled), with_test=False)
        test = shuffled[n_train + n_val : n_train + n_val + n_test]
    train, val = shuffled[:n_train], shuffled[n_train : n_train + n_val]
    return DataSplit(
        train, val, test, mapping, len(examples), notes, warnings, skipped, row_of
    )


def _skipped_notes(key: str, skipped: list[SkippedRow]) -> list[str]:
    """'data.csv: 9 row(s) have no answer yet ... (rows 4, 7, ...)' and 'data.csv: skipped 3
    row(s) with an empty input (rows 4, 9, 12)', each when there are such rows."""
    waiting = [s for s in skipped if s.why == UNLABELLED]
    empty = [s for s in skipped if s.why != UNLABELLED]
    notes = []
    if waiting:
        notes.append(f"{key}: {len(waiting)} row(s) have no answer yet; they wait to be "
                     f"labelled and are not used until then (rows {_rows(waiting)})")  # fmt: skip
    if empty:
        notes.append(f"{key}: skipped {len(empty)} row(s) with an empty input (rows "
                     f"{_rows(empty)})")  # fmt: skip
    return notes


def _rows(skipped: list[SkippedRow]) -> str:
    return ", ".join(str(s.row) for s in skipped[:10]) + (", ..." if len(skipped) > 10 else "")


def validate_spec_against_data(spec: ProjectSpec) -> DataReport:
    """Check everything a run needs before any LM call; raises SpecError naming the problem.

    Re-validates the spec itself (optimizer name, budget > 0, field wiring), reads the CSV(s),
    checks the column mapping and the split sizes, and resolves `auto` to an optimizer.
    """
    base = spec.base_dir
    spec = spec_from_dict(spec.to_dict(), base)
    split = load_data(spec)
    notes = list(split.notes)
    optimizer = spec.optimizer.name
    reason = f"chosen in the spec: {optimizer}"
    if optimizer == "auto":
        optimizer, reason = choose_optimizer(len(split.train))
    entry = registry.get(optimizer)
    if not split.train and (entry is None or entry.needs_train):
        raise SpecError(
            f"data.train_size: {optimizer} needs training examples, but the train split is empty"
        )
    if not split.test:
        notes.append("data: the test split is empty, so no held-out score will be computed")
    if not split.val:
        notes.append(
            "data: the validation split is empty; optimizers score candidates on the trainset"
        )
    return DataReport(
        split.sizes(), split.rows, split.columns, optimizer, reason, notes, list(split.warnings)
    )
