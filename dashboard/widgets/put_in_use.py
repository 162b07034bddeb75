""""Put this prompt in use": records a run's candidate as the project's next prompt version and
puts it in use (what Label a spreadsheet, Export and the CLI's `predict --project` then use),
saying first which version it replaces. Used on the Run and Compare pages."""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboard import home, safe, ui
from dashboard.run_data import versions as vs
from dashboard.run_data.runinfo import ACTIVE
from engine.runs import VersionError, add_version, version_in_use

NOTE = "version_note"  # session key: (widget key, what happened) after a click


def _put(key: str, run_id: str, candidate: str | None, origin: str | None) -> None:
    try:
        made = add_version(
            run_id, candidate, origin=origin, made_by=vs.made_by(), db_path=home.db_path()
        )
        said = (f"v{made.number} of “{made.project}” is in use: Label a spreadsheet and Export "
                "now use it.")  # fmt: skip
        st.session_state[NOTE] = (key, "ok", said)
    except VersionError as exc:
        st.session_state[NOTE] = (key, "error", str(exc))


def put_in_use(
    run: dict[str, Any], candidate: str | None, key: str, *, origin: str | None = None,
    label: str = "Put this prompt in use", what: str = "this prompt",
) -> None:
    """The button with a caption naming what it replaces (or that it is in use already)."""
    if run["status"] in ACTIVE:
        st.caption("Once the run ends, its prompts can be put in use.")
        return
    used = version_in_use(run["name"], home.db_path())
    chosen = candidate or run.get("best_candidate")
    note = st.session_state.get(NOTE)
    if note and note[0] == key:
        st.session_state.pop(NOTE)
        shown = st.success if note[1] == "ok" else st.error
        shown(safe.md(note[2]), icon=":material/verified:" if note[1] == "ok" else None)
    if used is not None and (used.run_id, used.candidate) == (run["id"], chosen):
        st.caption(f"In use: v{used.number} of “{safe.md(run['name'])}” is {what}.")
        ui.go_button("versions", "See all prompt versions", key=f"{key}_versions")
        return
    if used is None:
        replaces = (f"No prompt of “{safe.md(run['name'])}” is in use yet; your prompt as "
                    "written is kept as v1, so you can always go back.")  # fmt: skip
    else:
        replaces = (f"It replaces v{used.number} ({safe.md(used.origin)}, "
                    f"{used.score_words()}) as the prompt in use.")  # fmt: skip
    st.caption(replaces)
    st.button(
        label, key=key, icon=":material/verified:", on_click=_put,
        args=(key, run["id"], candidate, origin),
    )  # fmt: skip
