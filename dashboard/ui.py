"""Small shared pieces of page layout: headers, empty states, errors, the next-step button."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import streamlit as st

from dashboard import safe, state
from engine import TunesmithError
from engine.runs import percent

logger = logging.getLogger("tunesmith.dashboard")

PAGES = {  # page key -> (file, title, icon); app.py builds the navigation from this
    "project": ("views/project.py", "Project", ":material/folder_open:"),
    "data": ("views/data.py", "Data", ":material/table:"),
    "pipeline": ("views/pipeline.py", "Pipeline", ":material/account_tree:"),
    "metric": ("views/metric.py", "Metric", ":material/rule:"),
    "optimize": ("views/optimize.py", "Optimize", ":material/tune:"),
    "run": ("views/run.py", "Run", ":material/monitoring:"),
    "compare": ("views/compare.py", "Compare", ":material/compare:"),
    "export": ("views/export.py", "Export", ":material/download:"),
    "label": ("views/label.py", "Label a spreadsheet", ":material/table_view:"),
    "versions": ("views/versions.py", "Prompt versions", ":material/verified:"),
    "runs": ("views/runs.py", "Runs", ":material/history:"),
}


def header(title: str, subtitle: str) -> None:
    st.title(title)
    st.caption(subtitle)


def empty_state(icon: str, title: str, body: str, page: str | None = None, label: str = "") -> None:
    """A friendly box for 'nothing here yet', with a button to the page that fixes it."""
    with st.container(border=True):
        st.markdown(f"### {icon} {title}")
        st.markdown(body)
        if page:
            go_button(page, label or f"Go to {PAGES[page][1]}", key=f"empty_go_{page}")


def go_button(
    page: str,
    label: str,
    key: str | None = None,
    primary: bool = False,
    query: dict[str, str] | None = None,
) -> None:
    if st.button(
        label,
        key=key or f"go_{page}",
        type="primary" if primary else "secondary",
        icon=PAGES[page][2],
    ):
        st.switch_page(PAGES[page][0], query_params=query)


def next_step(page: str, label: str, ready: bool = True, why: str = "") -> None:
    st.divider()
    left, right = st.columns([3, 1])
    if not ready and why:
        left.caption(why)
    with right:
        if st.button(
            label + " →", key=f"next_{page}", type="primary", disabled=not ready, width="stretch"
        ):
            st.switch_page(PAGES[page][0])


def require_project() -> bool:
    """Render an empty state and return False when no project is open."""
    if state.has_project():
        return True
    empty_state(
        ":material/folder_open:",
        "No project open",
        "Start from a sample project or create a new one on the **Project** page.",
        "project",
        "Choose a project",
    )
    return False


def require_data() -> bool:
    if not require_project():
        return False
    if state.df() is not None:
        return True
    empty_state(
        ":material/upload_file:",
        "No data yet",
        "Upload a CSV of examples on the **Data** page: one row per example, with the "
        "input text and the expected answer in columns.",
        "data",
        "Add data",
    )
    return False


def problems(items: list[str], title: str = "Fix these before going on") -> None:
    """A warning listing `items` (plain text: the engine's messages quote names and values from
    the project and its data, so they are shown as text)."""
    if items:
        listed = "\n".join(f"- {safe.md(p)}" for p in items)
        st.warning(f"**{title}**\n\n{listed}", icon=":material/warning:")


def describe_error(exc: BaseException) -> str:
    """A one-paragraph message for an exception, without a traceback."""

    if isinstance(exc, TunesmithError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


@contextmanager
def friendly_errors(what: str) -> Iterator[None]:
    """Show an error box instead of a traceback (the traceback goes to the server log)."""
    try:
        yield
    except Exception as exc:  # noqa: BLE001
        logger.exception("%s failed", what)
        st.error(f"**{what} failed.** {safe.md(describe_error(exc))}", icon=":material/error:")


def fmt_score(value: Any) -> str:
    return "—" if value is None else percent(float(value))


def fmt_range(versus: dict[str, Any] | None, sure: str = "") -> str:
    """A paired difference in points with its 95% range: "+17 points (+0 to +50)"; `sure` is
    added inside the brackets when the range leaves 0 out ("—" with no comparison)."""
    if not versus:
        return "—"
    diff, low, high = (100 * versus[k] for k in ("diff", "ci_low", "ci_high"))
    return f"{diff:+.0f} points ({low:+.0f} to {high:+.0f}{'' if low <= 0 <= high else sure})"


def fmt_int(value: Any) -> str:
    return "—" if value is None else f"{int(value):,}"


def fmt_cost(value: Any, priced: bool = True) -> str:
    if value is None or not priced:
        return "not priced"
    return "$0 (local)" if float(value) == 0 else f"${float(value):.4f}"


def fmt_duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m {seconds % 60:02d}s"
    return f"{seconds // 3600}h {seconds % 3600 // 60:02d}m"
