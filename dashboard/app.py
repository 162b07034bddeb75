"""Tunesmith dashboard: `make run` (`python -m dashboard.serve`, which serves this script on
127.0.0.1 behind the Host check of dashboard/hosts.py); `streamlit run dashboard/app.py` works
too, the same check then running at the top of each page run (`access.guard`).

One page per file under views/; this file builds the navigation, runs the chosen page inside a
friendly error guard, then draws the sidebar (project checklist) and saves the project.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `streamlit run dashboard/app.py` from a plain checkout
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

import engine  # noqa: E402
from dashboard import access, safe, state, ui  # noqa: E402
from dashboard.project import projects, specs  # noqa: E402

# the dashboard's runs name their models; where one does not, the embedded model answers
engine.use_embedded_default()

ASSETS = Path(__file__).resolve().parent / "assets"
st.set_page_config(
    page_title="Tunesmith",
    page_icon=str(ASSETS / "icon.svg"),
    layout="wide",
    initial_sidebar_state="expanded",
)
st.logo(str(ASSETS / "logo.svg"), size="large", icon_image=str(ASSETS / "icon.svg"))

STYLE = """
<style>
[data-testid="stMetric"] {background: #fbfbfe;}
[data-testid="stMetricValue"] {font-size: 1.6rem;}
.ts-chip {display:inline-block;padding:2px 10px;border-radius:999px;font-size:0.8rem;
          font-weight:600;margin-right:6px;}
.ts-ok {background:#dcfce7;color:#166534;} .ts-run {background:#e0e7ff;color:#3730a3;}
.ts-bad {background:#fee2e2;color:#991b1b;} .ts-warn {background:#fef3c7;color:#92400e;}
.ts-diff del {background:#fee2e2;color:#991b1b;text-decoration:line-through;}
.ts-diff ins {background:#dcfce7;color:#166534;text-decoration:none;}
.ts-diff {line-height:1.7;padding:10px 14px;border:1px solid #e5e7eb;border-radius:8px;
          background:#fff;white-space:pre-wrap;}
</style>
"""


def _page(key: str) -> st.Page:
    path, title, icon = ui.PAGES[key]
    return st.Page(path, title=title, icon=icon, url_path=key, default=key == "project")


def sidebar(check: specs.Check | None) -> None:
    """The project checklist (inside the sidebar's slot the caller opened)."""
    if not state.has_project():
        st.caption("No project open yet. Pick a sample or create one on the **Project** page.")
        return
    draft = state.draft()
    st.caption("CURRENT PROJECT")
    st.markdown(f"**{safe.md(draft['name'])}**")
    data = state.df()
    steps = [
        (
            "Data",
            data is not None
            and not (check and check.about("data"))
            and any(r == "output" for r in state.roles().values()),
            f"{len(data)} rows" if data is not None else "no data yet",
        ),
        (
            "Pipeline",
            bool(draft["pipeline"]) and not (check and check.about("step", "pipeline")),
            f"{len(draft['pipeline'])} step(s)" if draft["pipeline"] else "no steps yet",
        ),
        ("Metric", not (check and check.about("metric")), draft["metric"]["kind"]),
        ("Ready to optimize", bool(check and check.ok), ""),
    ]
    for label, done, detail in steps:
        mark = (
            ":green[:material/check_circle:]"
            if done
            else ":gray[:material/radio_button_unchecked:]"
        )
        st.markdown(
            f"{mark} {label} <span style='color:#6b7280;font-size:0.85rem'>"
            f"{safe.md(detail)}</span>",  # detail comes from the project file
            unsafe_allow_html=True,
        )
    folder = state.project_dir()
    if folder is not None:
        st.caption(f"Saved automatically in the folder {safe.md(folder.name)}")


def main() -> None:
    st.markdown(STYLE, unsafe_allow_html=True)
    access.guard()  # served beyond this machine: signed-in people only
    nav = st.navigation(
        {
            "Build": [_page(k) for k in ("project", "data", "pipeline", "metric")],
            "Tune": [_page(k) for k in ("optimize", "run", "compare", "export")],
            "Use": [_page("label"), _page("versions")],
            "History": [_page("runs")],
        }
    )
    with ui.friendly_errors("Reopening your last project"):
        projects.reopen_last()
    # the checklist is drawn before the page too, so it stays while a page is busy; after the
    # page it is drawn again in the same place with what the page changed
    with st.sidebar:
        slot = st.empty()
    with slot.container(), ui.friendly_errors("Checking the project"):
        sidebar(specs.build_spec() if state.has_project() else None)
    with ui.friendly_errors("This page"):
        nav.run()
    check = None
    with ui.friendly_errors("Saving the project"):
        if state.has_project():
            check = specs.build_spec()
            projects.save_current()
    with slot.container():
        sidebar(check)


main()
