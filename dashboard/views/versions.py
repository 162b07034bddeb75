"""Prompt versions: every version of a project's prompt (v1 as written, then each one put in
use) with the one in use marked, who made it, when, from which run and optimizer, its held-out
score; "Use this version" rolls back in one click; a diff between any two versions."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import home, safe, state, ui
from dashboard.run_data import compare as cd
from dashboard.run_data import runinfo
from dashboard.run_data import versions as vs
from dashboard.widgets.diff_view import diff_view
from engine.runs import VersionError, get_run, program_state, use_version

ui.header(
    "Prompt versions",
    "Every prompt this project put in use, and which one labels your spreadsheets now.",
)
runs = runinfo.all_runs(limit=500)
open_project = [state.draft().get("name")] if state.has_project() else []
projects = [p for p in dict.fromkeys([*open_project, *(r["name"] for r in runs)]) if p]
if not projects:
    ui.empty_state(
        ":material/verified:", "No prompt versions yet",
        "Finish a run, then press “Put this prompt in use” on its Run page.", "optimize",
        "Go to Optimize",
    )  # fmt: skip
    st.stop()
here = vs.project_of(runs) or projects[0]
project = st.columns([2, 3])[0].selectbox(
    "Project", projects, index=projects.index(here), key="versions_project"
)
db = home.db_path()


def _use(number: int) -> None:
    try:
        used = use_version(project, number, db)
        st.session_state["versions_note"] = ("ok", f"v{used.number} is in use again.")
    except VersionError as exc:
        st.session_state["versions_note"] = ("error", str(exc))


note = st.session_state.pop("versions_note", None)
if note:
    (st.success if note[0] == "ok" else st.error)(safe.md(note[1]))
versions = vs.versions_of(project)
if not versions:
    st.info(
        f"“{safe.md(project)}” has no prompt versions yet, so labelling uses the finished run "
        "with the best held-out score. Open a finished run and press “Put this prompt in use”.",
        icon=":material/info:",
    )
    ui.go_button("run", "Go to the Run page", key="versions_to_run")
    st.stop()

in_use = next((v for v in versions if v.in_use), None)
if in_use is not None:
    st.markdown(
        f"**In use: v{in_use.number}** · {safe.md(in_use.origin)} · {in_use.score_words()}. "
        "Label a spreadsheet, Export and `python -m engine predict --project` use it."
    )
for v in reversed(versions):
    with st.container(border=True):
        text, action = st.columns([5, 1], vertical_alignment="center")
        chip = " <span class='ts-chip ts-ok'>IN USE</span>" if v.in_use else ""
        text.markdown(f"**v{v.number}**{chip} {safe.md(v.origin)}", unsafe_allow_html=True)
        gone = " · its run was deleted" if v.run_gone else ""
        held = (f"Held-out {100 * v.test_score:.1f}%" if v.test_score is not None
                else "Not scored on held-out rows")  # fmt: skip
        text.caption(
            f"{held} · validation {'—' if v.val_score is None else f'{100 * v.val_score:.1f}%'} · "
            f"{safe.md(v.optimizer or '?')} · run "
            f"{safe.md(v.run_id)} · {safe.md(v.made_by)}, {runinfo.ago(v.created_at)}{gone}"
        )
        action.button(
            "Use this version", key=f"use_v{v.number}", disabled=v.in_use or v.run_gone,
            on_click=_use, args=(v.number,), icon=":material/undo:", width="stretch",
        )  # fmt: skip

st.subheader("What changed between two versions")
numbers = [v.number for v in versions]
by_number = {v.number: v for v in versions}
later = in_use.number if in_use is not None else numbers[-1]
earlier = max((n for n in numbers if n < later), default=numbers[0])
left, right = st.columns(2)
a = left.selectbox("Version", numbers, index=numbers.index(earlier),
                   format_func=lambda n: by_number[n].label(), key="versions_a")  # fmt: skip
b = right.selectbox("against version", numbers, index=numbers.index(later),
                    format_func=lambda n: by_number[n].label(), key="versions_b")  # fmt: skip
with ui.friendly_errors("Reading the two prompts"):
    va, vb = by_number[a], by_number[b]
    gone = [f"v{v.number}" for v in (va, vb) if v.run_gone]
    if gone:
        st.warning(f"The run of {' and '.join(gone)} was deleted: its prompt cannot be shown.")
        st.stop()
    state_a = program_state(va.run_id, db, va.program_candidate)
    state_b = program_state(vb.run_id, db, vb.program_candidate)
    paths = [p for p in dict.fromkeys([*state_a, *state_b])
             if "signature" in (state_a.get(p) or state_b.get(p) or {})]  # fmt: skip
    for path in paths:
        pa, pb = state_a.get(path) or {}, state_b.get(path) or {}
        if len(paths) > 1:
            st.markdown(f"**Step {safe.md(path)}**")
        diff_view(
            (pa.get("signature") or {}).get("instructions", ""),
            (pb.get("signature") or {}).get("instructions", ""), f"v{a}", f"v{b}",
        )  # fmt: skip
        demos = {n: p.get("demos") or [] for n, p in ((a, pa), (b, pb))}
        st.caption(
            f"Examples shown to the model: {len(demos[a])} in v{a}, {len(demos[b])} in v{b}."
        )
        inputs, outputs = cd.spec_fields((get_run(vb.run_id, db_path=db) or {}).get("spec") or {},
                                         path)  # fmt: skip
        for n, other in ((a, b), (b, a)):
            if demos[n] and demos[n] != demos[other]:
                with st.expander(f"The {len(demos[n])} example(s) of v{n}"):
                    st.dataframe(
                        pd.DataFrame(cd.demo_rows(demos[n], inputs, outputs, demos[other])),
                        hide_index=True, width="stretch", key=f"versions_demos_{path}_{n}",
                    )  # fmt: skip
    if va.test_score is not None and vb.test_score is not None:
        moved = 100 * (vb.test_score - va.test_score)
        st.caption(f"Held-out score: v{a} {100 * va.test_score:.1f}%, v{b} "
                   f"{100 * vb.test_score:.1f}% ({moved:+.1f} points).")  # fmt: skip
