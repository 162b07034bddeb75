"""Labelling in a project: an answer column added to inputs that came without one, answers
saved one row at a time, the held-out rows kept fixed once runs are compared on them, and
corrected rows from "Label a spreadsheet" added to the project.

Held-out rows stay the same rows: before rows are added to a project whose held-out rows came
from its main file (a share of the shuffled labelled rows, which would reshuffle), those rows
are moved to a file of their own, `held_out.csv`, named as the spec's `data.test_csv`; new rows
then join `data.csv`, which feeds only the training and validation rows (docs/labelling.md).
Corrections from "Label a spreadsheet" always fix them first; labels given on the Data page fix
them once the project has a run and FIXED_FROM held-out rows (before that the held-out share
grows with the labels, so a first run on a handful of labels does not freeze a tiny test).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from dashboard import state
from dashboard.project import fields, projects
from dashboard.project.csvio import parse_csv, to_csv_bytes
from dashboard.run_data import runinfo
from dashboard.run_data.versions import default_program
from engine import SpecError, example_id
from engine.runs import get_run, load_data, spec_from_dict

HELD_OUT_FILE = "held_out.csv"
HAND_FILE = "labelled_by_hand.csv"  # the inputs of every row a person labelled, one a line
FIXED_FROM = 20  # labelling on the Data page fixes the held-out rows once a run had this many


def answer_column() -> str | None:
    """The data column that holds the answer (the first column whose role is the expected
    output), or None."""
    return next((c for c, r in state.roles().items() if r == "output"), None)


def input_columns() -> list[str]:
    return [c for c, r in state.roles().items() if r == "input"]


def answer_field() -> dict[str, Any] | None:
    """The last step's field the answer column feeds (its type and choices), or None."""
    column = answer_column()
    name = (state.draft()["data"].get("columns") or {}).get(column)
    pipeline = state.draft()["pipeline"]
    if not name or not pipeline:
        return None
    return next((f for f in pipeline[-1]["fields"] if f["name"] == name), None)


def choices() -> list[str]:
    found = answer_field()
    return [str(c) for c in found["choices"]] if found and found["type"] == "literal" else []


def labelled(frame: pd.DataFrame) -> pd.Series:
    """Which rows have an answer (and their inputs): the rows a run may use."""
    column = answer_column()
    if column is None or column not in frame:
        return pd.Series(False, index=frame.index)
    filled = frame[column].astype(str).str.strip() != ""
    for col in input_columns():
        filled &= frame[col].astype(str).str.strip() != ""
    return filled


def key_of(row: dict[str, Any] | pd.Series, columns: list[str]) -> str:
    """A row's identity by its inputs: their text, spaces tidied, joined."""
    return "\x1f".join(" ".join(str(row.get(c, "")).split()) for c in columns)


def parse_choices(text: str) -> list[str]:
    """'billing, shipping, technical' -> the labels (empty: an open answer)."""
    out: list[str] = []
    for part in text.replace("\n", ",").split(","):
        if part.strip() and part.strip() not in out:
            out.append(part.strip())
    return out


def add_answer_column(name: str, labels: list[str]) -> str | None:
    """Give the data an empty answer column `name` (a choice among `labels`, or open text
    when none). Returns a problem in words (nothing changed), or None."""
    frame = state.df()
    name = name.strip()
    if frame is None:
        return "Upload your inputs first."
    if not name:
        return "Type a name for the answer column (e.g. category)."
    if name in frame.columns:
        return f"Your data already has a column named '{name}'; choose another name."
    if len(labels) == 1:
        return (
            "A choice needs at least two labels, separated by commas (e.g. billing, shipping); "
            "leave it empty for an open answer."
        )
    if len(labels) > 30:
        return f"{len(labels)} labels is more than the 30 a choice may have; use an open answer."
    draft = state.draft()
    old = dict(draft["data"].get("columns") or {})
    roles = {**state.roles(), name: "output"}
    new = {**old, name: fields.suggest_name(name)}
    if new[name] in old.values():
        return f"A field is already named '{new[name]}'; choose another column name."
    frame = frame.copy()
    frame[name] = pd.Series("", index=frame.index, dtype="string")
    state.st.session_state["df"] = frame
    state.st.session_state["roles"] = roles
    draft["data"]["columns"] = new
    fields.sync_pipeline(draft, old, new, roles, frame)
    field = answer_field()
    if field is not None:
        field.update(type="literal" if labels else "str", choices=list(labels))
    follow_sizes(0)
    projects.save_current()
    return None


def follow_sizes(count: int) -> None:
    """Split sizes that fit `count` labelled rows: thirds (at most 50 each); halves of
    training and validation once the held-out rows have a file of their own."""
    d = state.draft()["data"]
    if d.get("test_csv"):
        part = min(50, max(1, count // 2))
        d.update(train_size=min(part, count), val_size=min(part, max(0, count - part)))
        return
    part = min(50, max(1, count // 3))
    d.update(
        train_size=min(part, count),
        val_size=min(part, max(0, count - part)),
        test_size=min(50, max(0, count - 2 * part)),
    )


def check_answer(value: str) -> str | None:
    """Why `value` cannot be an answer (not one of the choices), or None."""
    options = choices()
    if options and value.strip() not in options:
        return f"'{value.strip()}' is not one of the labels ({', '.join(options)})."
    return None


def project_runs() -> list[dict[str, Any]]:
    """This project's runs (newest first, each with every column): the runs of its name whose
    spec was read from its folder."""
    folder = state.project_dir()
    if folder is None:
        return []
    named = [r["id"] for r in runinfo.all_runs(limit=200) if r["name"] == state.draft()["name"]]
    full = [get_run(run_id, db_path=runinfo.db()) for run_id in named]
    return [
        r for r in full
        if r and r.get("base_dir") and Path(r["base_dir"]).resolve() == folder.resolve()
    ]  # fmt: skip


def prompt_in_use() -> tuple[str, str | None] | None:
    """The prompt that drafts answers, as (run, candidate: None for the run's best): the
    project's version in use, else its finished run with the best held-out score
    (`run_data.versions.default_program`), else None (the project's untuned program). The one
    place that says which prompt is in use."""
    runs = project_runs()
    chosen = default_program(runs) if any(r["status"] == "finished" for r in runs) else None
    return None if chosen is None else (chosen.run_id, chosen.candidate)


def prompt_key() -> str:
    """The prompt in use as a key kept with each draft ("" for the untuned program)."""
    used = prompt_in_use()
    return "" if used is None else f"{used[0]}:{used[1] or 'best'}"


def save_answers(answers: dict[int, str], by_hand: bool = True) -> str | None:
    """Set the answer of these rows (by position in the data) and save the project at once.
    A value outside the choices, or a row without its inputs, changes nothing: its problem in
    words is returned."""
    frame = state.df()
    column = answer_column()
    if frame is None or column is None:
        return "The data has no answer column yet."
    for pos, value in answers.items():
        if not str(value).strip():
            return f"Row {pos + 2} has an empty answer; type one or leave the row unlabelled."
        if problem := check_answer(str(value)):
            return f"Row {pos + 2}: {problem} Nothing was saved."
    if project_runs():  # runs compare on the held-out rows: keep them once there are enough
        keep_held_out(at_least=FIXED_FROM)
        frame = state.df()
    frame = frame.copy()
    for pos, value in answers.items():
        frame.iat[pos, frame.columns.get_loc(column)] = str(value).strip()
    state.st.session_state["df"] = frame
    if by_hand:
        remember_by_hand([frame.iloc[pos] for pos in answers])
    follow_sizes(int(labelled(frame).sum()))
    state.bump()
    projects.save_current()
    return None


def remember_by_hand(rows: list[Any]) -> None:
    folder = state.project_dir()
    if folder is None or not rows:
        return
    columns = input_columns()
    known = hand_labelled(folder)
    new = [key_of(r, columns) for r in rows]
    with open(folder / HAND_FILE, "a", encoding="utf-8") as fh:
        for key in new:
            if key not in known:
                fh.write(key.replace("\n", " ") + "\n")
                known.add(key)


def hand_labelled(folder: Path) -> set[str]:
    path = folder / HAND_FILE
    return set(path.read_text(encoding="utf-8").splitlines()) if path.is_file() else set()


def keep_held_out(at_least: int = 1) -> bool:
    """Move the held-out rows of the main file to a file of their own (see the module doc);
    True when they moved. Nothing moves when there is a test file already or fewer than
    `at_least` held-out rows."""
    draft, folder, frame = state.draft(), state.project_dir(), state.df()
    if draft["data"].get("test_csv") or folder is None or frame is None:
        return False
    projects.save_current()
    try:
        split = load_data(spec_from_dict(draft, folder))
    except (SpecError, OSError, ValueError):
        return False
    if len(split.test) < max(1, at_least):
        return False

    numbers = sorted(split.row_of[example_id(e)][1] for e in split.test)
    positions = [n - 2 for n in numbers if 0 <= n - 2 < len(frame)]
    (folder / HELD_OUT_FILE).write_bytes(to_csv_bytes(frame.iloc[positions]))
    state.st.session_state["df"] = frame.drop(index=frame.index[positions]).reset_index(drop=True)
    draft["data"].update(test_csv=HELD_OUT_FILE, test_size=len(positions))
    projects.save_current()
    return True


@dataclass
class Added:
    added: int = 0
    duplicates: int = 0
    problem: str = ""


def add_rows(rows: list[dict[str, str]]) -> Added:
    """Append labelled rows (field name -> text) to the project's data, for training and
    validation only: the held-out rows stay the same rows (`keep_held_out`). Inputs already
    in the project (its data or its held-out file) are not added twice."""
    draft, frame, folder = state.draft(), state.df(), state.project_dir()
    if frame is None or folder is None:
        return Added(problem="Open the project these rows belong to first.")
    column_of = {f: c for c, f in (draft["data"].get("columns") or {}).items()}
    inputs, answer = input_columns(), answer_column()
    if answer is None:
        return Added(problem="The project has no answer column.")
    needed = [column_of.get(n) for n in (*[_field_of(c) for c in inputs], _field_of(answer))]
    if None in needed:
        return Added(problem="These rows do not fit the project's columns.")
    for n, row in enumerate(rows, start=1):
        if any(not str(row.get(_field_of(c), "")).strip() for c in inputs):
            return Added(problem=f"Corrected row {n} has an empty input; nothing was added.")
        if problem := check_answer(str(row.get(_field_of(answer), ""))):
            return Added(problem=f"Corrected row {n}: {problem} Nothing was added.")
    seen = {key_of(r, inputs) for _, r in frame.iterrows()}
    if draft["data"].get("test_csv") and (folder / draft["data"]["test_csv"]).is_file():
        test = parse_csv((folder / draft["data"]["test_csv"]).read_bytes())
        seen |= {key_of(r, inputs) for _, r in test.iterrows()}
    fresh: list[dict[str, str]] = []
    for row in rows:
        record = {c: str(row.get(_field_of(c), "")).strip() for c in (*inputs, answer)}
        if key_of(record, inputs) in seen:
            continue
        seen.add(key_of(record, inputs))
        fresh.append(record)
    result = Added(added=len(fresh), duplicates=len(rows) - len(fresh))
    if not fresh:
        return result
    keep_held_out()
    frame = state.df()
    more = pd.DataFrame(fresh, columns=list(frame.columns), dtype="string").fillna("")
    state.st.session_state["df"] = pd.concat([frame, more], ignore_index=True)
    remember_by_hand(fresh)
    follow_sizes(int(labelled(state.df()).sum()))
    state.bump()
    projects.save_current()
    return result


def _field_of(column: str) -> str:
    return (state.draft()["data"].get("columns") or {}).get(column, column)


def hand_labelled_words(run: dict[str, Any]) -> str | None:
    """'12 of this run's 40 rows were labelled by hand (…)' for a run of a project where a
    person labelled rows; None otherwise (or when its data file is gone)."""
    folder = Path(run["base_dir"]) if run.get("base_dir") else None
    hand = hand_labelled(folder) if folder is not None else set()
    if not hand:
        return None
    try:
        spec = spec_from_dict(run["spec"], folder)
        split = load_data(spec)
    except Exception:  # noqa: BLE001  (the data file moved or changed: nothing to count)
        return None
    counts = {
        part: sum(key_of(e, spec.input_fields) in hand for e in examples)
        for part, examples in (("training", split.train), ("validation", split.val),
                               ("held-out", split.test))
    }  # fmt: skip
    total = sum(counts.values())
    rows = sum(len(x) for x in (split.train, split.val, split.test))
    parts = ", ".join(f"{n} {part}" for part, n in counts.items() if n)
    return (
        f"{total} of this run's {rows} rows were labelled by hand in this project"
        + (f" ({parts})." if total else ".")
    )
