"""The Run page's view of an instruction search: proposed instructions and the score heatmap."""

from __future__ import annotations

import math
from typing import Any

import plotly.graph_objects as go
import streamlit as st

from dashboard.glossary import explain
from dashboard.run_data.instructions import proposals_table, score_grid
from dashboard.widgets.run.proposals_made import proposals_made_view


def heatmap_figure(rows: list[int], cols: list[int], grid: list[list[float | None]]) -> go.Figure:
    xs = ["no examples" if c < 0 else f"example set {c}" for c in cols]
    ys = [f"instruction {r}" for r in rows]
    z = [[None if v is None else 100 * v for v in line] for line in grid]
    text = [["" if v is None else f"{v:.0f}%" for v in line] for line in z]
    fig = go.Figure(
        go.Heatmap(
            z=z, x=xs, y=ys, text=text, texttemplate="%{text}", colorscale="Blues",
            zmin=0, zmax=100, hoverongaps=False, colorbar={"title": "score %"},
            hovertemplate="%{y} × %{x}: %{z:.0f}%<extra></extra>",
        )
    )  # fmt: skip
    fig.update_layout(
        height=90 + 42 * len(rows), margin={"l": 10, "r": 10, "t": 10, "b": 10},
        yaxis={"autorange": "reversed"},
    )  # fmt: skip
    return fig


CHARS_PER_LINE = 40  # of a medium text column (instruction, result) at the page's usual width
MAX_LINES = 5  # a longer instruction is cut; a click on the cell shows all of it


def row_height(
    rows: list[dict[str, Any]], columns: tuple[str, ...] = ("instruction",)
) -> int | None:
    """Rows tall enough for the longest text of `columns` to wrap (up to MAX_LINES lines); None
    (one line, the default) when every one fits on one. Streamlit wraps text only in rows
    taller than 64 px, so a wrapped row has at least 3 lines."""
    longest = max(len(str(r.get(c) or "")) for r in rows for c in columns)
    lines = math.ceil(longest / CHARS_PER_LINE)
    return None if lines <= 1 else 14 + 20 * min(MAX_LINES, max(3, lines))


def proposals_view(
    events: list[dict[str, Any]],
    candidates: list[dict[str, Any]],
    trials: list[dict[str, Any]],
    best: str | None = None,
    final: bool = True,
) -> None:
    """Render both sections; nothing when the run proposed no instructions. `best`: the run's
    chosen candidate; `final`: the run has ended."""
    rows = proposals_table(events, candidates, trials, best, final)
    if not rows:
        return
    st.markdown("#### Proposed instructions", help=explain("proposer model"))
    st.caption(
        "Every instruction the proposer model wrote, kept or not: # 0 is your own. *Scored* "
        "counts the times a candidate with it was scored; *on samples* is its mean score on "
        "samples of the validation rows, *on all rows* its best score on all of them. *Result* "
        "says why it was kept or lost; replies dropped before any scoring have no #."
    )
    st.dataframe(
        rows,
        hide_index=True,
        width="stretch",
        placeholder="—",
        row_height=row_height(rows, ("instruction", "result")),
        column_config={
            "predictor": (
                st.column_config.TextColumn("step", width="small")
                if len({r["predictor"] for r in rows}) > 1
                else None
            ),
            "#": st.column_config.NumberColumn(width="small"),
            "instruction": st.column_config.TextColumn(width="medium"),
            "origin": None,
            "trials": st.column_config.NumberColumn("scored", width="small"),
            "minibatch": st.column_config.NumberColumn(
                "on samples", format="percent", help=explain("sample of rows")
            ),
            "full": st.column_config.NumberColumn(
                "on all rows", format="percent", help=explain("validation rows")
            ),
            "result": st.column_config.TextColumn("result", width="medium"),
        },
        key="proposals_table",
    )
    proposals_made_view(events)
    predictors = sorted({r["predictor"] for r in rows})
    st.markdown("#### Which combination scores best")
    predictor = (
        st.selectbox("Step", predictors, key="heatmap_step")
        if len(predictors) > 1
        else predictors[0]
    )
    grid_rows, cols, grid = score_grid(events, candidates, trials, predictor)
    st.caption(
        "Mean score of every scoring (on samples and on all rows) that used the pair; blank: "
        "not tried."
    )
    st.plotly_chart(
        heatmap_figure(grid_rows, cols, grid), width="stretch",
        config={"displayModeBar": False}, key="proposals_heatmap",
    )  # fmt: skip


def proposals_run_view(view: Any) -> None:
    """The Run page's view of `proposals` events (MIPROv2's and COPRO's; `run_view.VIEWS`)."""
    final = view.run.get("status") not in ("queued", "running")
    proposals_view(view.events, view.candidates, view.trials, view.run.get("best_candidate"), final)
