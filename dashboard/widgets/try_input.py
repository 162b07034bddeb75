"""Try your own input: a small form with the program's input fields; Run shows its outputs and,
for a choice, how sure the model was. Used on the Run, Compare and Export pages."""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboard import home, lmtools, safe, ui
from engine.runs import get_run, input_fields, try_input


def _run_with(run: dict[str, Any]) -> str:
    return "the best program" if run.get("program") or run.get("best_candidate") else ""


def try_input_box(
    run_id: str, candidate: str | None = None, key: str = "try", label: str = ""
) -> None:
    """An expander "Try your own input" on the run's best program (or `candidate`)."""

    db = home.db_path()
    run = get_run(run_id, db_path=db) or {}
    if not _run_with(run):
        return
    names = input_fields(run_id, db)
    what = label or ("this candidate" if candidate else "the best program")
    with st.expander(f"Try your own input on {what}", icon=":material/edit_note:"):
        with st.form(f"{key}_form_{run_id}", border=False):
            values = {
                name: st.text_area(safe.md(name), key=f"{key}_{run_id}_{name}", height=80)
                for name in names
            }
            go = st.form_submit_button(
                "Run", icon=":material/play_arrow:", key=f"{key}_go_{run_id}"
            )
        if not go:
            st.caption("One LM call per step; answers already seen come from the cache.")
            return
        if not any(v.strip() for v in values.values()):
            st.warning("Type an input first.", icon=":material/warning:")
            return
        model = ((run.get("spec") or {}).get("models") or {}).get("task", {}).get("model", "")
        with ui.friendly_errors("Trying the input"), st.spinner(lmtools.asking_text(model)):
            out = try_input(run_id, values, db_path=db, candidate=candidate)
            lmtools.asked(model)
            _show(out)


def _show(out: dict[str, str]) -> None:
    error = out.pop("error", "")
    if error:
        st.error(f"**The program could not answer.** {safe.md(error)}", icon=":material/error:")
        return
    for name, value in out.items():
        if name.endswith("_confidence"):
            continue
        sure = out.get(f"{name}_confidence", "")
        note = f" · the model was {100 * float(sure):.0f}% sure" if sure else ""
        st.markdown(f"**{safe.md(name)}**{note}")
        st.code(value or "(empty)", language=None, wrap_lines=True)
