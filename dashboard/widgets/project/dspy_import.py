"""Project page: "Bring in a DSPy program": the saved program, its signatures and a CSV of
examples become a new project (dashboard/project/from_dspy.py). A refused file says why, in
its own words shown as text, and creates nothing."""

from __future__ import annotations

import streamlit as st

from dashboard import safe, ui
from dashboard.project.from_dspy import create_from_dspy
from engine import SpecError

FROM_FILE = "The program's .py file"
FROM_TEXT = "Signatures typed in"
DONE = "dspy_import_done"


def dspy_import_form() -> None:
    """The upload form, and what the last import brought in."""
    st.subheader("Or bring in a DSPy program")
    st.caption(
        "Made your program with DSPy? Upload what program.save('program.json') wrote, the "
        "program's Python file (Tunesmith reads it without running it) and a CSV of examples "
        "with a column for each input and for the expected answer."
    )
    done = st.session_state.pop(DONE, None)
    if done:
        _show_done(done)
    with st.container(border=True):
        saved = st.file_uploader("Saved program (program.json)", key="dspy_json")
        how = st.radio("Signatures", (FROM_FILE, FROM_TEXT), horizontal=True, key="dspy_how")
        source, strings = None, []
        if how == FROM_FILE:
            source = st.file_uploader("The program's Python file (.py)", key="dspy_py")
        else:
            typed = st.text_area(
                "One signature per line, in the order of the saved program's predictors",
                placeholder="ticket -> restated\nrestated -> team: Literal['billing', 'shipping']",
                key="dspy_strings",
            )
            strings = [line.strip() for line in typed.splitlines() if line.strip()]
        examples = st.file_uploader("Examples (CSV)", key="dspy_csv")
        name = st.text_input("Project name (optional)", key="dspy_name")
        if st.button("Bring in the program", type="primary", key="dspy_go"):
            _bring_in(saved, source, strings, examples, name)


def _bring_in(saved, source, strings, examples, name: str) -> None:
    missing = [what for what, upload in (("the saved program", saved), ("a CSV of examples",
               examples)) if upload is None]  # fmt: skip
    if source is None and not strings:
        missing.insert(1, "the signatures (the Python file, or typed in)")
    if missing:
        st.error(f"Add {' and '.join(missing)} first.", icon=":material/error:")
        return
    signatures = (source.name, source.getvalue()) if source is not None else strings
    try:
        brought = create_from_dspy((saved.name, saved.getvalue()), signatures,
                                   (examples.name, examples.getvalue()), name.strip())  # fmt: skip
    except SpecError as exc:  # CsvProblem is one too
        st.error(f"**The program cannot come in.** {safe.md(exc)}", icon=":material/error:")
        return
    st.session_state[DONE] = {
        "steps": brought.steps, "demos": brought.demos, "notes": brought.notes,
    }  # fmt: skip
    st.rerun()


def _show_done(done: dict) -> None:
    steps = " → ".join(safe.md(step) for step in done["steps"])
    count = done["demos"]
    examples = f"{count} worked example{'' if count == 1 else 's'}"
    st.success(
        f"Brought in {len(done['steps'])} steps ({steps}) with {examples}. "
        "The project is open: check the steps on the Pipeline page, then tune it.",
        icon=":material/check_circle:",
    )
    for note in done["notes"]:
        st.info(safe.md(note), icon=":material/info:")
    ui.go_button("pipeline", "Check the steps", key="dspy_to_pipeline", primary=True)
