"""Label page: the labelled result as a grid where the person corrects wrong answers (or ticks
right ones), or uploads the corrected CSV, and adds those rows to the project's labelled data
(training and validation only: its held-out rows stay the same rows)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import safe, state
from dashboard.project import labelling
from dashboard.widgets.editor import committed_editor
from engine.runs import CsvProblem, match_inputs, read_input_csv

CHECKED = "Checked: right"
SHOWN = 200


def _fixes(key: Any) -> dict[int, str]:
    """Row index -> the answer the person gave (a correction, or the model's, ticked right)."""
    store = st.session_state.setdefault("label_fixes", {})
    if store.get("key") != key:
        store.clear()
        store.update(key=key, rows={})
    return store["rows"]


def result_grid(result: Any, spec: Any, run: dict[str, Any], key: Any) -> None:
    """The result table, editable in the answer column, then the "Add N rows" button."""
    label = spec.label_fields[0] if spec.label_fields else None
    column = result.outputs.get(label) if label else None
    table = pd.DataFrame(result.rows, columns=result.header)
    if column is None:
        st.dataframe(table.head(SHOWN), hide_index=True, width="stretch")
        return
    fixes = _fixes(key)
    shown = table.head(SHOWN).copy()
    shown[CHECKED] = [i in fixes for i in range(len(shown))]
    for i, value in fixes.items():
        if i < len(shown):
            shown.at[i, column] = value
    field = next(f for step in spec.pipeline for f in step.outputs if f.name == label)
    options = [str(c) for c in field.choices] if field.type == "literal" else []
    config = (
        st.column_config.SelectboxColumn(column, options=options) if options
        else st.column_config.TextColumn(column)
    )  # fmt: skip

    def commit(edited: pd.DataFrame) -> None:
        for i in range(len(edited)):
            given = str(edited.iloc[i][column] if pd.notna(edited.iloc[i][column]) else "")
            model = str(table.iloc[i][column])
            if given.strip() and (given != model or bool(edited.iloc[i][CHECKED])):
                fixes[i] = given.strip()
            else:
                fixes.pop(i, None)

    st.caption(
        f"Wrong answer? Pick the right one in the **{safe.md(column)}** column; tick "
        f"**{CHECKED}** for a right one. Those rows can join your project's labelled data."
    )
    committed_editor(
        shown, "label_grid", commit, hide_index=True, width="stretch",
        num_rows="fixed", disabled=[c for c in shown.columns if c not in (column, CHECKED)],
        column_config={column: config, CHECKED: st.column_config.CheckboxColumn(CHECKED)},
    )  # fmt: skip
    if len(table) > SHOWN:
        st.caption(f"The first {SHOWN} of {len(table):,} rows; the download holds them all.")
    _upload_corrected(table, spec, column, fixes)
    _add_button(table, spec, column, fixes, run)


def _upload_corrected(table: pd.DataFrame, spec: Any, column: str, fixes: dict[int, str]) -> None:
    """Corrections from the downloaded file, fixed in a spreadsheet: rows whose answer differs
    from the model's, matched by their inputs."""
    upload = st.file_uploader("Or upload the corrected CSV", key="label_corrected")
    if upload is None or st.session_state.get("label_corrected_done") == upload.file_id:
        return
    st.session_state["label_corrected_done"] = upload.file_id
    try:
        header, rows = read_input_csv(upload.getvalue(), upload.name)
        inputs = match_inputs(spec, header)
        if column not in header:
            raise CsvProblem(
                f"The corrected file has no '{column}' column (the answers); its columns: "
                f"{', '.join(header)}."
            )
    except CsvProblem as exc:
        st.session_state["label_fix_error"] = str(exc)
        return
    place = {labelling.key_of(r, list(inputs.values())): i for i, r in table.iterrows()}
    found = 0
    for row in rows:
        i = place.get(labelling.key_of(row, list(inputs.values())))
        given = row.get(column, "").strip()
        if i is not None and given and given != str(table.iloc[i][column]):
            fixes[i] = given
            found += 1
    st.session_state["label_fix_note"] = (
        f"The corrected file changes the answer of {found} row(s)."
    )
    st.rerun()  # the grid above shows the file's answers


def _add_button(
    table: pd.DataFrame, spec: Any, column: str, fixes: dict[int, str], run: dict[str, Any]
) -> None:
    if msg := st.session_state.pop("label_fix_error", None):
        st.error(safe.md(msg), icon=":material/error:")  # it quotes the file
    if msg := st.session_state.pop("label_fix_note", None):
        st.success(safe.md(msg), icon=":material/check_circle:")
    folder = state.project_dir()
    mine = folder is not None and run.get("base_dir") and (
        Path(run["base_dir"]).resolve() == folder.resolve()
    )
    if not fixes:
        return
    if not mine:
        st.caption("Open this run's project to add the corrected rows to it.")
        return
    inputs = match_inputs(spec, list(table.columns))
    if not st.button(f"Add {len(fixes)} corrected row(s) to the project", type="primary",
                     icon=":material/playlist_add:", key="label_add_rows"):  # fmt: skip
        return
    rows = [
        {**{name: str(table.iloc[i][col]) for name, col in inputs.items()},
         spec.label_fields[0]: answer}
        for i, answer in sorted(fixes.items())
    ]  # fmt: skip
    done = labelling.add_rows(rows)
    if done.problem:
        st.error(safe.md(done.problem), icon=":material/error:")
        return
    fixes.clear()
    st.session_state["label_fix_note"] = (
        f"Added {done.added} row(s) to the project's labelled data for training and "
        "validation; its held-out rows are unchanged, so the next run's score compares with "
        "this one's."
        + (f" {done.duplicates} row(s) were in the project already." if done.duplicates else "")
    )
    st.rerun()  # the grid and the button without the rows just added
