"""`st.data_editor` that commits each edit into a DataFrame kept in session state.

A data editor's widget state holds edits relative to the frame it was given; feeding the
edited frame back in would apply them twice, and leaving the page drops them. So every change
is applied to the stored frame in `on_change` and the editor gets a fresh key.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st


def apply_delta(frame: pd.DataFrame, delta: dict[str, Any]) -> pd.DataFrame:
    """Apply a data_editor state ({edited_rows, added_rows, deleted_rows}) to `frame`."""
    out = frame.copy().reset_index(drop=True)
    for pos, changes in (delta.get("edited_rows") or {}).items():
        pos = int(pos)
        for column, value in changes.items():
            if column in out.columns and 0 <= pos < len(out):
                out.at[pos, column] = value
    added = [{c: row.get(c) for c in out.columns} for row in (delta.get("added_rows") or []) if row]
    if added:
        out = pd.concat([out, pd.DataFrame(added, columns=out.columns)], ignore_index=True)
    deleted = {int(i) for i in (delta.get("deleted_rows") or [])}
    if deleted:
        out = out.drop(index=[i for i in deleted if i < len(out)]).reset_index(drop=True)
    return out


def committed_editor(
    frame: pd.DataFrame, key: str, on_commit: Callable[[pd.DataFrame], None], **kwargs: Any
) -> None:
    """Show `frame` in a data editor; each edit calls `on_commit(new_frame)` before the rerun."""
    version_key = f"{key}__v"
    widget_key = f"{key}__{st.session_state.get(version_key, 0)}"

    def commit() -> None:
        delta = st.session_state.get(widget_key) or {}
        on_commit(apply_delta(frame, delta))
        st.session_state[version_key] = st.session_state.get(version_key, 0) + 1

    pending = st.session_state.get(widget_key)
    if isinstance(pending, dict) and any(
        pending.get(k) for k in ("edited_rows", "added_rows", "deleted_rows")
    ):
        commit()  # state set without the browser's change event (e.g. by a test): apply it now
        st.rerun()
    st.data_editor(frame, key=widget_key, on_change=commit, **kwargs)
