"""The pilot on the Optimize page: run the task model on a few training rows before the run, so
the estimate uses measured figures (calls per program run, hit rates) instead of assumed ones.

The figures are kept in the session for the spec they were measured on (budget limits aside:
they change no figure), so the card shows the revised estimate until a setting changes. A
failing pilot shows an error and changes nothing. Design: docs/design/estimate_pilot.md.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import streamlit as st

from dashboard import safe, ui
from dashboard.widgets.number import number
from engine.optimizers import registry
from engine.runs import preflight

DEFAULT_ROWS = 4
STATE_KEY = "estimate_pilot"


def spec_key(spec: Any) -> str:
    """A fingerprint of everything in the spec a pilot's figures depend on (not the budget)."""
    dumped = spec.model_dump(mode="json")
    dumped.get("optimizer", {}).pop("budget", None)
    return hashlib.sha256(json.dumps(dumped, sort_keys=True, default=str).encode()).hexdigest()


def stored_pilot(spec: Any) -> dict[str, Any] | None:
    """The figures a pilot measured for this spec in this session, if any."""
    kept = st.session_state.get(STATE_KEY)
    if kept and kept.get("key") == spec_key(spec):
        return kept["figures"]
    return None


def run_pilot(spec: Any, rows: int) -> dict[str, Any]:
    """Run the engine's pilot for `spec` on `rows` training rows; its figures (raises on
    failure, leaving the session as it was)."""
    figures = preflight(spec, pilot_rows=rows)["pilot"]
    st.session_state[STATE_KEY] = {"key": spec_key(spec), "figures": figures}
    return figures


def pilot_controls(spec: Any, optimizer: str) -> None:
    """The "Measure with a pilot" row under the budget card (for an optimizer whose registry
    entry says what a pilot measures), and what the last pilot measured."""
    entry = registry.get(optimizer)
    if entry is None or entry.pilot is None:
        return
    figures = stored_pilot(spec)
    if figures:
        st.success(
            f"Estimate measured by a pilot: {figures['rows']} training row(s), "
            f"{figures['calls']} LM call(s) in {figures['seconds']:.0f} s; "
            f"{figures['calls_per_run']:.2f} task calls per program run, a hit rate of "
            f"{figures['hit_rate']:.0%}. The run gets these calls back from the cache.",
            icon=":material/science:",
        )
    a, b = st.columns([1, 3])
    rows = number(a, "Pilot rows", 1, 20, DEFAULT_ROWS, "pilot_rows")
    label = "Measure again with a pilot" if figures else "Measure with a pilot"
    where = entry.pilot(rows)
    b.caption(
        f"Runs the program with the task model {where}, to measure how many model calls a row "
        "takes (replies asked for again, tool steps) and how often the model is right. The run "
        "reuses these calls."
    )
    if b.button(f"{label} (runs {rows} rows)", key="run_pilot", icon=":material/science:"):
        model = safe.md(spec.models.task.model)
        with (
            st.spinner(f"Running the pilot on {rows} row(s) with {model}…"),
            ui.friendly_errors("The pilot"),
        ):
            run_pilot(spec, rows)
            st.rerun()
