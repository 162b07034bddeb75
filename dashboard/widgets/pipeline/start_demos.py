"""A step's starting demos (a DSPy program's, brought in): how many, what they hold, and a
button to start without them. The values are a file's text: a table shows them as text."""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboard import state


def start_demos(step: dict[str, Any], index: int) -> None:
    """Say what examples the step's prompt starts with; nothing when it has none."""
    demos = step.get("demos") or []
    if not demos:
        return
    count = len(demos)
    with st.expander(
        f"Starts with {count} worked example{'s' if count > 1 else ''} in its prompt "
        "(from the DSPy program)"
    ):
        st.caption(
            "The model sees these before each input. Tuning may replace them with examples "
            "it finds work better."
        )
        rows = [{key: str(value) for key, value in demo.items()} for demo in demos]
        st.dataframe(rows, hide_index=True, width="stretch")
        if st.button("Start without them", key=f"drop_demos_{index}"):
            step.pop("demos", None)
            state.bump()
            st.rerun()
