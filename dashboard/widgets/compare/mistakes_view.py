"""Where a candidate goes wrong, on the Compare page: for answers from a fixed list, expected
against answered with the rows of any mix-up; for open answers, the failing rows grouped by
what the metric said about them."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from dashboard import safe
from dashboard.run_data import mistakes as mk

SHOWN_GROUPS = 8
ROW_COLUMNS = ["example", "expected", "answered", "why"]


def _shade(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        [
            [
                "background-color:#dcfce7" if row == col and n else
                "background-color:#fee2e2" if n else ""
                for col, n in zip(frame.columns, values)
            ]
            for row, values in zip(frame.index, frame.values)
        ],
        index=frame.index,
        columns=frame.columns,
    )  # fmt: skip


def _closed(run_id: str, who: str, short: str, field: str, pairs: pd.DataFrame) -> None:
    right = int((pairs["expected"] == pairs["answered"]).sum())
    st.caption(
        f"{safe.md(short)} answered {right} of {len(pairs)} rows right on “{safe.md(field)}”. "
        "Each row of the "
        "table is the expected answer, each column what was answered: click a count to see its "
        "rows."
    )
    grid = mk.confusion(pairs)
    clicked = st.dataframe(grid.style.apply(_shade, axis=None), width="stretch",
                           on_select="rerun", selection_mode="single-cell",
                           key=f"cmp_mix_grid_{run_id}_{who}_{field}")  # fmt: skip
    cells = clicked.selection.cells if clicked is not None and hasattr(clicked, "selection") else []
    if cells:
        position, answered = cells[0]
        expected = grid.index[int(position)]
        chosen = pairs[(pairs["expected"] == expected) & (pairs["answered"] == answered)]
        st.caption(f"Expected {safe.md(expected)}, answered {safe.md(answered)}: "
                   f"{len(chosen)} row(s).")  # fmt: skip
        st.dataframe(chosen[ROW_COLUMNS], hide_index=True, width="stretch")
        return
    mixed = mk.mix_ups(pairs)
    if not mixed:
        st.caption("No mix-ups: every row got its expected answer.")
        return
    pick = st.selectbox(
        "Show the rows of one mix-up",
        mixed,
        format_func=lambda m: f"expected {m[0]}, answered {m[1]} ({m[2]} row(s))",
        key=f"cmp_mix_rows_{run_id}_{who}_{field}",
    )
    chosen = pairs[(pairs["expected"] == pick[0]) & (pairs["answered"] == pick[1])]
    st.dataframe(chosen[ROW_COLUMNS], hide_index=True, width="stretch")


def _open(short: str, field: str, pairs: pd.DataFrame) -> None:
    groups = mk.reason_groups(pairs)
    failing = sum(n for _, n, _ in groups)
    if not failing:
        st.caption(f"{safe.md(short)} got full marks on every row for “{safe.md(field)}”.")
        return
    st.caption(
        f"{safe.md(short)} lost points on {failing} of {len(pairs)} rows for “{safe.md(field)}”; "
        "the metric's "
        f"reasons fall into {len(groups)} group(s) of reasons that say much the same thing."
    )
    for said, count, rows in groups[:SHOWN_GROUPS]:
        with st.expander(f"{count} row(s): {safe.md(said[:120])}"):
            st.dataframe(rows[ROW_COLUMNS], hide_index=True, width="stretch")
    if len(groups) > SHOWN_GROUPS:
        st.caption(f"{len(groups) - SHOWN_GROUPS} smaller group(s) not shown.")


def mistakes_section(
    run: dict[str, Any], res: pd.DataFrame, expected: dict[str, dict[str, Any]],
    shorts: dict[str, str], default: str, label_fields: list[str],
) -> None:
    """The section for the last step's outputs that have expected values."""
    closed = mk.choice_outputs(run.get("spec") or {})
    fields = [f for f in label_fields if any(f in e for e in expected.values())]
    if not fields:
        return
    st.subheader(
        "Where it goes wrong",
        help="For answers picked from a fixed list: how often each expected answer was given as "
        "each possible answer (the right answers run down the diagonal). For open answers: the "
        "rows that lost points, grouped by what the metric said about them.",
    )
    run_id = run["id"]
    who = st.segmented_control(
        "Candidate", list(shorts), default=default, format_func=shorts.get,
        key=f"cmp_mix_{run_id}",
    ) or default  # fmt: skip
    for field in fields:
        pairs = mk.answered_pairs(res, who, expected, field)
        if pairs.empty:
            name = safe.md(shorts[who])
            st.caption(f"No scored rows with an expected {safe.md(field)} for {name}.")
        elif field in closed:
            _closed(run_id, who, shorts[who], field, pairs)
        else:
            _open(shorts[who], field, pairs)
