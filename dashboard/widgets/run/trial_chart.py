"""The trial chart: one point per trial, the running best, the baseline (plotly)."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from dashboard import safe
from dashboard.glossary import explain, plain_origin

COLORS = {"val": "#4f46e5", "train": "#0891b2", "test": "#9ca3af", "minibatch": "#a78bfa"}
NAMES = {
    "val": "all validation rows",
    "test": "held-out rows",
    "train": "training rows",
    "minibatch": "part of the rows",
}
SYMBOLS = {"val": "circle", "minibatch": "diamond-open", "test": "square"}


def trial_figure(
    trials: list[dict[str, Any]], baseline: float | None, origins: dict[str, str]
) -> go.Figure:
    fig = go.Figure()
    for subset in sorted({t["subset"] for t in trials}, key=lambda s: (s != "val", s)):
        pts = [t for t in trials if t["subset"] == subset]
        fig.add_trace(
            go.Scatter(
                x=[t["number"] for t in pts],
                y=[100 * (t["score"] or 0) for t in pts],
                mode="markers",
                name=NAMES.get(subset, subset),
                marker={
                    "size": 11 if subset != "minibatch" else 10,
                    "color": COLORS.get(subset, "#6b7280"),
                    "symbol": SYMBOLS.get(subset, "circle"),
                    "line": {
                        "width": 1 if subset != "minibatch" else 2,
                        "color": "white" if subset != "minibatch" else COLORS["minibatch"],
                    },
                },
                customdata=[
                    [safe.html(plain_origin(origins.get(t["candidate"], t["candidate"]))), t["n"]]
                    for t in pts
                ],
                hovertemplate=(
                    "Scoring %{x}: %{y:.0f}%<br>%{customdata[0]}"
                    "<br>%{customdata[1]} rows<extra></extra>"
                ),
            )
        )
    best, xs, ys = None, [], []
    for t in trials:
        if t["subset"] != "val":
            continue
        best = t["score"] if best is None else max(best, t["score"] or 0)
        xs.append(t["number"])
        ys.append(100 * best)
    if xs:
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines",
                line={"shape": "hv", "color": "#16a34a", "width": 3},
                name="best so far",
                hoverinfo="skip",
            )
        )
    if baseline is not None:
        fig.add_hline(
            y=100 * baseline,
            line_dash="dash",
            line_color="#f59e0b",
            annotation_text=f"your prompt {100 * baseline:.0f}%",
            annotation_position="bottom right",
        )
    fig.update_layout(
        height=340,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        plot_bgcolor="white",
        legend={"orientation": "h", "y": 1.12, "x": 0},
        xaxis_title="scoring (one point per candidate scored)",
        yaxis_title="score (%)",
        uirevision="keep",  # keeps the user's zoom across live refreshes
    )
    fig.update_yaxes(range=[-3, 103], gridcolor="#eef2f7")
    fig.update_xaxes(
        gridcolor="#eef2f7", dtick=1 if len(trials) <= 20 else None, rangemode="tozero"
    )
    return fig


def chart_caption(subsets: set[str]) -> tuple[str, str]:
    """(caption, its tooltip): what the chart's marks mean, in the glossary's words, for the
    kinds of points it has."""
    marks = ["Each point is one candidate scored", "the dashed line is your prompt's score"]
    more = [f"**Candidate**: {explain('candidate')}",
            f"**Validation rows**: {explain('validation rows')}"]  # fmt: skip
    if "minibatch" in subsets:
        marks.append("open diamonds are scores on part of the rows")
        more.append(f"**Part of the rows**: {explain('part of the rows')}")
    if "test" in subsets:
        marks.append("grey squares are the held-out rows")
        more.append(f"**Held-out rows**: {explain('held-out rows')}")
    return "; ".join(marks) + ".", "  \n".join(more)
