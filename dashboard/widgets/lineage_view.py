"""The Run page's view of a GEPA run: the lineage tree and the Pareto matrix."""

from __future__ import annotations

import html
import textwrap
from typing import Any

import plotly.graph_objects as go
import streamlit as st

from dashboard.gepa_data import (
    LineageNode,
    front_share,
    latest_reflections,
    lineage,
    pareto_matrix,
)

HOVER_WIDTH = 70
HOVER_CHARS = 420


def _wrapped(text: str, limit: int = HOVER_CHARS) -> str:
    text = " ".join(str(text).split())
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return "<br>".join(textwrap.wrap(html.escape(text), HOVER_WIDTH)) or "—"


def _hover(node: LineageNode, shares: dict[int, int]) -> str:
    lines = [
        f"<b>candidate {node.number}</b>: {100 * node.score:.0f}% on validation, best on "
        f"{shares.get(node.number, 0)} example(s)",
        f"<i>{html.escape(node.origin)}</i>",
    ]
    for path, text in node.instructions.items():
        lines.append(f"<b>{html.escape(path)}</b>: {_wrapped(text)}")
    if node.feedback:
        lines.append("<b>feedback the reflection read</b>:")
        lines += [f"• {_wrapped(f, 160)}" for f in node.feedback[:4]]
    return "<br>".join(lines)


def lineage_figure(nodes: list[LineageNode]) -> go.Figure:
    """Candidates placed by generation (x) and order (y); edges parent → child."""
    rows: dict[int, int] = {}
    ys = []
    for node in nodes:
        ys.append(rows.get(node.depth, 0))
        rows[node.depth] = ys[-1] + 1
    xs = [n.depth for n in nodes]
    edge_x: list[float | None] = []
    edge_y: list[float | None] = []
    for node in nodes:
        for parent in node.parents:
            edge_x += [xs[parent], xs[node.number], None]
            edge_y += [ys[parent], ys[node.number], None]
    shares = front_share(nodes)
    best = max(nodes, key=lambda n: (n.score, -n.number)).number
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=edge_x, y=edge_y, mode="lines", line={"color": "#b0b7c3", "width": 2},
            hoverinfo="skip", showlegend=False,
        )
    )  # fmt: skip
    fig.add_trace(
        go.Scatter(
            x=xs, y=ys, mode="markers+text", text=[str(n.number) for n in nodes],
            textposition="middle center", textfont={"color": "white", "size": 12},
            marker={
                "size": [34 if n.number == best else 26 for n in nodes],
                "color": [100 * n.score for n in nodes], "colorscale": "Viridis",
                "cmin": 0, "cmax": 100, "line": {"width": [3 if n.number == best else 1
                                                           for n in nodes], "color": "#222"},
                "colorbar": {"title": "val %"},
            },
            hovertext=[_hover(n, shares) for n in nodes], hoverinfo="text", showlegend=False,
        )
    )  # fmt: skip
    fig.update_layout(
        height=140 + 60 * max(rows.values(), default=1),
        margin={"l": 10, "r": 10, "t": 10, "b": 30},
        xaxis={"title": "generation", "dtick": 1, "zeroline": False},
        yaxis={"visible": False, "autorange": "reversed"},
        hoverlabel={"align": "left"},
    )
    return fig


def pareto_figure(nodes: list[LineageNode], labels: dict[str, str]) -> go.Figure:
    """Validation examples (columns) × candidates (rows); ★ marks the best on each example."""
    examples, scores, best = pareto_matrix(nodes)
    xs = [f"ex {i + 1}" for i in range(len(examples))]
    ys = [f"candidate {n.number}" for n in nodes]
    marks = [["★" if flag else "" for flag in row] for row in best]
    hover = [
        [
            f"candidate {n.number} on ex {j + 1}: {100 * scores[i][j]:.0f}%"
            + (" (best)" if best[i][j] else "")
            + f"<br>{_wrapped(labels.get(examples[j], ''), 200)}"
            for j in range(len(examples))
        ]
        for i, n in enumerate(nodes)
    ]
    fig = go.Figure(
        go.Heatmap(
            z=[[100 * v for v in row] for row in scores], x=xs, y=ys, text=marks,
            texttemplate="%{text}", colorscale="Blues", zmin=0, zmax=100,
            hovertext=hover, hoverinfo="text", colorbar={"title": "score %"}, xgap=1, ygap=1,
        )
    )  # fmt: skip
    fig.update_layout(
        height=100 + 34 * len(nodes),
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        yaxis={"autorange": "reversed"},
    )
    return fig


def lineage_view(
    reflections: list[dict[str, Any]],
    candidates: list[dict[str, Any]],
    trials: list[dict[str, Any]],
    labels: dict[str, str] | None = None,
) -> None:
    """Both sections; nothing unless the run made reflections (GEPA). `reflections` are the
    run's `reflection` events; `labels` map validation example ids to their input text."""
    steps = latest_reflections(reflections)
    if not steps:
        return
    nodes = lineage(steps, candidates, trials)
    if not nodes:
        return
    kept = sum(1 for step in steps if step.get("accepted"))
    tried = len(steps)
    st.markdown("#### Lineage of the candidates")
    st.caption(
        f"{tried} reflection step(s), {kept} kept. Each circle is a kept candidate (0 is your "
        "prompt), coloured by its validation score; lines go from parent to child. Hover a "
        "circle for its instruction and the feedback the reflection read."
    )
    st.plotly_chart(
        lineage_figure(nodes), width="stretch", config={"displayModeBar": False},
        key="gepa_lineage",
    )  # fmt: skip
    st.markdown("#### Who is best where (Pareto front)")
    st.caption(
        "Rows: candidates; columns: validation rows; ★ marks the best candidate(s) on each row. "
        "GEPA picks parents from this front, so a candidate that is best on rows others miss "
        "stays in play even with a lower average."
    )
    st.plotly_chart(
        pareto_figure(nodes, labels or {}), width="stretch", config={"displayModeBar": False},
        key="gepa_pareto",
    )  # fmt: skip
