"""Data page: upload or paste a CSV, say what each column holds, edit cells, split the rows."""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from dashboard import safe, state, ui
from dashboard.glossary import explain
from dashboard.project import fields, labelling, specs
from dashboard.project.csvio import CsvProblem, limit_text, parse_csv
from dashboard.widgets.data import answers
from dashboard.widgets.editor import committed_editor

OUTPUT_HINTS = re.compile(
    r"label|category|class|answer|output|expected|target|sentiment|intent|gold"
)

ui.header(
    "Data",
    "Examples the model learns from and is scored on: one row per example, with "
    "what the model reads and the answer you expect.",
)


def default_roles(columns: list[str]) -> dict[str, str]:
    """A first guess: a column named like a label is the expected output, the rest are inputs."""
    outs = [c for c in columns if OUTPUT_HINTS.search(c.lower())]
    out_col = outs[-1] if outs else (columns[-1] if len(columns) > 1 else None)
    return {c: ("output" if c == out_col else "input") for c in columns}


def default_sizes(n: int) -> dict[str, int]:
    part = min(50, max(1, n // 3))
    return {
        "train_size": part,
        "val_size": min(part, max(0, n - part)),
        "test_size": min(50, max(0, n - 2 * part)),
    }


def use_data(frame: pd.DataFrame, source: str) -> None:
    """Replace the project's data (keeping the mapping of columns that still exist)."""
    draft = state.draft()
    old = dict(draft["data"].get("columns") or {})
    previous = state.roles()
    roles = {c: previous[c] for c in frame.columns if c in previous}
    if not roles or not any(r != "ignore" for r in roles.values()):
        roles = default_roles(list(frame.columns))
    else:
        roles.update({c: "ignore" for c in frame.columns if c not in roles})
    names = {c: old.get(c) or fields.suggest_name(c) for c in frame.columns}
    new = fields.mapping(roles, names)
    st.session_state["df"] = frame
    st.session_state["roles"] = roles
    draft["data"]["columns"] = new
    fields.sync_pipeline(draft, old, new, roles, frame)
    has_answers = any(r == "output" for r in roles.values())
    draft["data"].update(default_sizes(int(labelling.labelled(frame).sum()) if has_answers
                                       else len(frame)))  # fmt: skip
    st.session_state["data_message"] = (
        f"Loaded {len(frame)} rows and {len(frame.columns)} "
        f"column{'s' if len(frame.columns) != 1 else ''} from {source}."
    )
    state.bump()


ROLE_HELP = (
    "**Input**: what the model reads (e.g. the ticket). **Expected output**: the right answer "
    "for the row (e.g. its team), which the model's answer is scored against. **Ignore**: not "
    "used."
)

if not ui.require_project():
    st.stop()
draft = state.draft()

# -- 1. the file ------------------------------------------------------------------------------
st.subheader("1. Your examples")
upload_tab, paste_tab = st.tabs(["Upload a CSV file", "Paste from a spreadsheet"])
with upload_tab:
    uploaded = st.file_uploader(
        f"CSV file (UTF-8, first row = column names, up to {limit_text()})",
        key="csv_upload",
        help="Any file is read as CSV; a spreadsheet file gets a note on how to save it as "
        "CSV.",
    )
    if uploaded is not None and st.session_state.get("csv_upload_done") != uploaded.file_id:
        st.session_state["csv_upload_done"] = uploaded.file_id
        try:
            use_data(parse_csv(uploaded.getvalue(), uploaded.name), uploaded.name)
        except CsvProblem as exc:
            st.session_state["data_error"] = str(exc)
with paste_tab:
    pasted = st.text_area(
        "Paste rows here (copy cells from Excel or Google Sheets, or CSV text)",
        height=140,
        key="csv_paste",
        placeholder="ticket,category\nWhere is my parcel?,shipping",
    )
    if st.button("Use pasted data", key="csv_paste_use"):
        try:
            use_data(parse_csv(pasted, "the pasted text"), "the pasted text")
        except CsvProblem as exc:
            st.session_state["data_error"] = str(exc)

if msg := st.session_state.pop("data_error", None):
    kept = " Your previous data is unchanged." if state.df() is not None else ""
    st.error(f"**This data could not be used.** {safe.md(msg)}{kept}", icon=":material/error:")
if msg := st.session_state.pop("data_message", None):
    st.success(safe.md(msg), icon=":material/check_circle:")  # it names the user's file

data = state.df()
if data is None:
    ui.empty_state(
        ":material/upload_file:",
        "No examples yet",
        "Upload a CSV file above. Each row is one example: a column with what the model "
        "reads (e.g. a ticket) and, if you have them, a column with the right answer (e.g. its "
        "team); without answers, the model drafts them for you to check. "
        "20–60 rows are enough to start.\n\nNo file at hand? Start from a sample project.",
        "project",
        "Pick a sample project",
    )
    st.stop()

# -- 2. column roles ---------------------------------------------------------------------------
st.subheader("2. What is in each column?")
st.caption(
    "Inputs are what the model reads; the expected output is the right answer it should give. "
    "The field name is how the pipeline refers to the column."
)
roles = dict(state.roles())
old_map = dict(draft["data"].get("columns") or {})
names: dict[str, str] = {}
head = st.columns([2, 3, 2, 4])
for col, label in zip(head, ["Column", "Role", "Field name", "Example value"]):
    col.markdown(f"**{label}**", help=ROLE_HELP if label == "Role" else None)
for i, column in enumerate(data.columns):
    a, b, c, d = st.columns([2, 3, 2, 4], vertical_alignment="center")
    a.markdown(safe.md(column))  # a header cell of the user's file
    current = roles.get(column, "ignore")
    roles[column] = b.selectbox(
        f"Role of column {safe.md(column)}",
        state.ROLES,
        index=state.ROLES.index(current),
        format_func=state.ROLE_LABELS.get,
        key=f"role_{i}_{state.rev()}",
        label_visibility="collapsed",
    )
    names[column] = c.text_input(
        f"Field name for column {safe.md(column)}",
        value=old_map.get(column) or fields.suggest_name(column),
        key=f"fname_{i}_{state.rev()}",
        label_visibility="collapsed",
        disabled=roles[column] == "ignore",
    ).strip()
    sample = next((str(v) for v in data[column] if str(v).strip()), "")
    d.caption(safe.md(sample[:90] + ("…" if len(sample) > 90 else "")))

new_map = fields.mapping(roles, names)
if new_map != old_map or roles != state.roles():
    st.session_state["roles"] = roles
    draft["data"]["columns"] = new_map
    fields.sync_pipeline(draft, old_map, new_map, roles, data)

problems = []
inputs = [f for c, f in new_map.items() if roles[c] == "input"]
outputs = [f for c, f in new_map.items() if roles[c] == "output"]
if not inputs:
    problems.append("Choose at least one column as Input: the model needs something to read.")
if not outputs and len(data.columns) > 1:
    problems.append(
        "Choose the column that holds the Expected output (the right answer), or, with no "
        "answers yet, add an empty answer column below and label rows there."
    )
for column, name in new_map.items():
    if not name.isidentifier() or name.startswith("_"):
        problems.append(
            f"Field name '{name or '(empty)'}' for column '{column}' must use only letters, "
            "digits and underscores, and not start with a digit (e.g. ticket_text)."
        )
if len(set(new_map.values())) != len(new_map):
    problems.append("Two columns have the same field name; give each used column its own name.")
ui.problems(
    [p for p in problems if inputs or "Expected output" not in p],
    "The column mapping is not complete",
)
answers.answers_section(data)
if inputs and outputs and not problems:
    st.info(
        f"Suggested signature: **{safe.md(', '.join(inputs))} → {safe.md(', '.join(outputs))}**. "
        "You can refine it on the Pipeline page.",
        icon=":material/lightbulb:",
    )

# -- 3. preview and edit -----------------------------------------------------------------------
st.subheader("3. Check and edit the rows")
st.caption(f"{len(data)} rows. Click a cell to fix a typo; add or delete rows at the bottom/left.")


def _commit(frame: pd.DataFrame) -> None:
    frame = frame.astype("string").fillna("")
    for column in (c for c, r in roles.items() if r == "input" and c in frame):
        cleared = [
            i + 2 for i, (was, now) in enumerate(zip(data[column], frame[column], strict=False))
            if str(was).strip() and not str(now).strip()
        ]  # fmt: skip
        if cleared:
            st.session_state["data_error"] = (
                f"Row {cleared[0]} would lose its input '{column}': a row needs what the model "
                "reads. To drop a row, delete it (select it on the left); nothing was changed."
            )
            return
    st.session_state["df"] = frame


committed_editor(
    data,
    f"rows_{state.rev()}",
    _commit,
    num_rows="dynamic",
    width="stretch",
    height=min(420, 38 + 35 * len(data)),
    hide_index=True,
)

# -- 4. split ----------------------------------------------------------------------------------
st.subheader("4. Split the rows")
st.caption(
    f"**Train**: {explain('training rows')} **Validation**: {explain('validation rows')} "
    f"**Test**: {explain('held-out rows')}"
)
d = draft["data"]
a, b, c, s = st.columns(4)
for col, key, label in (
    (a, "train_size", "Train rows"),
    (b, "val_size", "Validation rows"),
    (c, "test_size", "Test rows"),
):
    d[key] = int(
        col.number_input(
            label,
            min_value=0,
            max_value=max(len(data), 1),
            step=1,
            value=int(d.get(key) or 0),
            key=f"{key}_{state.rev()}",
        )
    )
d["seed"] = int(
    s.number_input(
        "Shuffle number",
        min_value=0,
        step=1,
        value=int(d.get("seed") or 0),
        key=f"seed_{state.rev()}",
        help="The rows are shuffled before they are split; the same number gives the same "
        "split, another number another split. In DSPy's words: the seed.",
    )
)

check = specs.build_spec()
data_problems = check.about("data")
if not problems and check.report is not None:
    sizes = check.report.sizes
    used = sum(sizes.values())
    st.success(
        f"Split: **{sizes['train']} train**, **{sizes['val']} validation**, "
        f"**{sizes['test']} test** "
        f"({check.report.rows - used} usable rows left unused).",
        icon=":material/check_circle:",
    )
    for note in check.report.notes:
        st.caption(":material/info: " + safe.md(specs.friendly(note)))  # they quote the data
    for warning in check.report.warnings:
        st.warning(safe.md(specs.friendly(warning)), icon=":material/warning:")
elif not problems and data_problems:
    ui.problems(data_problems, "The data is not ready yet")
elif not problems and check.problems:
    st.caption(
        "The split is counted once the pipeline is valid. First problem: "
        + safe.md(check.problems[0])
    )

ui.next_step(
    "pipeline",
    "Next: build the pipeline",
    ready=not problems,
    why="Finish the column mapping to continue.",
)
