"""Project page: start from a sample, create a new project, or reopen a saved one."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from dashboard import home, safe, state, ui
from dashboard.project import projects
from dashboard.widgets.project.dspy_import import dspy_import_form

ui.header(
    "Project",
    "A project is a task to tune: your examples, the steps the model takes, and "
    "how answers are scored. Everything is saved as you go.",
)

if state.has_project():
    draft = state.draft()
    with st.container(border=True):
        left, right = st.columns([3, 1])
        left.markdown(f"**Open now:** {safe.md(draft['name'])}")
        left.caption(safe.md(draft.get("description") or "No description yet."))
        with right:
            ui.go_button("data", "Continue", key="continue_open", primary=True)
        with st.expander("Rename or describe this project"):
            name = st.text_input(
                "Project name", value=draft["name"], key=f"proj_name_{state.rev()}"
            )
            desc = st.text_area(
                "Description",
                value=draft.get("description", ""),
                key=f"proj_desc_{state.rev()}",
                height=80,
            )
            draft["name"] = name.strip() or draft["name"]
            draft["description"] = desc

st.subheader("Start from a sample")
samples = home.samples()
cols = st.columns(max(1, len(samples)))
for col, sample in zip(cols, samples):
    with col.container(border=True):
        st.markdown(f"#### {sample.icon} {safe.md(sample.title)}")
        safe.block(
            safe.html(sample.blurb), style="min-height:5.4em;color:#6b7280;font-size:0.9rem"
        )
        if st.button("Use this sample", key=f"sample_{sample.key}", width="stretch"):
            with ui.friendly_errors("Opening the sample"):
                projects.create_from_sample(sample)
                st.switch_page(ui.PAGES["data"][0])

st.subheader("Or start a new project")
with st.form("new_project", border=True):
    left, right = st.columns([2, 3])
    name = left.text_input("Name", placeholder="e.g. Invoice triage")
    desc = right.text_input(
        "What should the model do? (optional)",
        placeholder="e.g. Read an invoice e-mail and say which team pays it",
    )
    if st.form_submit_button("Create project", type="primary"):
        if not name.strip():
            st.error("Give the project a name first.")
        else:
            projects.create_project(name.strip(), desc.strip())
            st.switch_page(ui.PAGES["data"][0])

dspy_import_form()

saved = projects.list_projects()
st.subheader("Your projects")
if not saved:
    st.info(
        "Projects you create or start from a sample appear here, so you can come back to them.",
        icon=":material/info:",
    )
else:
    current = state.project_dir()
    for info in saved[:20]:
        with st.container(border=True):
            a, b, c = st.columns([5, 1, 1], vertical_alignment="center")
            when = dt.datetime.fromtimestamp(info.modified).strftime("%d %b %Y, %H:%M")
            badge = " · open now" if current == info.folder else ""
            a.markdown(  # the name and description are a user's (or a teammate's) text
                f"**{safe.md(info.name)}**{badge}  \n<span style='color:#6b7280'>"
                f"{safe.md(info.description or '')} — changed {when}</span>",
                unsafe_allow_html=True,
            )
            if b.button("Open", key=f"open_{info.folder.name}", width="stretch"):
                with ui.friendly_errors("Opening the project"):
                    projects.open_project(info.folder)
                    st.switch_page(ui.PAGES["data"][0])
            confirm_key = f"confirm_del_{info.folder.name}"
            if st.session_state.get(confirm_key):
                if c.button(
                    "Confirm", key=f"del2_{info.folder.name}", type="primary", width="stretch"
                ):
                    projects.delete_project(info.folder)
                    st.session_state.pop(confirm_key, None)
                    st.rerun()
            elif c.button("Delete", key=f"del_{info.folder.name}", width="stretch"):
                st.session_state[confirm_key] = True
                st.rerun()
