"""The checkbox that turns on one optional setting of a draft pipeline step (refine, samples)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboard import state


def option_box(step: dict[str, Any], option: str, label: str, key: str, help: str) -> dict | None:
    """Ticked: the step's `option` settings (an empty dict at first), to fill in; unticked:
    None, and the option is removed from the step. `key` is the widget key before its revision."""
    on = st.checkbox(
        label, value=step.get(option) is not None, key=f"{key}_{state.rev()}", help=help
    )
    if not on:
        step.pop(option, None)
        return None
    step[option] = step.get(option) or {}
    return step[option]
