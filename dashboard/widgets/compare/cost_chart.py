"""Cost against score on the Compare page: one point per candidate, the Pareto front joined and
marked, the cheapest candidate within some points of the best ringed, and the buttons that take
it to Compare's B or put it in use (then Label a spreadsheet and Export use it)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import safe, state, ui
from dashboard.run_data import costs as ca
from dashboard.widgets.put_in_use import put_in_use

UNITS = {"tokens": "tokens per 1,000 rows", "dollars": "dollars per 1,000 rows"}


def cost_words(value: float, cost: str) -> str:
    return f"${value:,.2f}" if cost == "dollars" else f"{value:,.0f} tokens"


def spend_words(row: pd.Series) -> str:
    """What a candidate spends, all that is known: "1,240 tokens, $0.02 a 1,000 rows; 0.8 s a
    row" (no dollars for an unpriced model, no seconds when no scoring was timed)."""
    said = [cost_words(row[c], c) for c in ("tokens", "dollars") if pd.notna(row[c])]
    words = ", ".join(said) + " a 1,000 rows" if said else ""
    if pd.notna(row["seconds"]):
        words += f"{'; ' if words else ''}{row['seconds'] / 1000:.1f} s a row"
    return words


def cost_figure(
    costs: pd.DataFrame, front: pd.Series, names: dict[str, str], cost: str, pick: str | None
) -> go.Figure:
    """The scatter: every candidate, the front joined from cheapest to dearest, `pick` ringed."""
    fig = go.Figure()
    hover = [safe.html(f"{names.get(row['candidate'], row['candidate'])}: {spend_words(row)}")
             for _, row in costs.iterrows()]  # fmt: skip
    fig.add_trace(go.Scatter(
        x=costs[cost], y=100 * costs["score"], mode="markers", name="candidates",
        marker={"size": 11, "color": ["#4f46e5" if f else "#c7d2fe" for f in front],
                "line": {"width": 1, "color": "white"}},
        customdata=hover,
        hovertemplate="%{customdata}<br>%{y:.0f}% on the validation rows<extra></extra>",
    ))  # fmt: skip
    edge = costs[front].sort_values(cost)
    fig.add_trace(go.Scatter(
        x=edge[cost], y=100 * edge["score"], mode="lines", name="no candidate beats these on both",
        line={"color": "#4f46e5", "width": 1, "dash": "dot"}, hoverinfo="skip",
    ))  # fmt: skip
    if pick is not None:
        chosen = costs[costs["candidate"] == pick]
        fig.add_trace(go.Scatter(
            x=chosen[cost], y=100 * chosen["score"], mode="markers",
            name="the cheapest near the best",
            marker={"size": 22, "color": "rgba(0,0,0,0)", "line": {"width": 2, "color": "#059669"}},
            hoverinfo="skip",
        ))  # fmt: skip
    fig.update_layout(
        height=340, margin={"l": 10, "r": 10, "t": 10, "b": 10},
        xaxis_title=UNITS[cost].capitalize(), yaxis_title="Validation score (%)",
        legend={"orientation": "h", "y": -0.25},
    )  # fmt: skip
    return fig


def cost_section(
    run: dict[str, Any], cands: list[dict[str, Any]], trials: list[dict[str, Any]],
    names: dict[str, str],
) -> None:
    """The section, when at least two candidates were scored on all validation rows."""
    costs = ca.candidate_costs(trials, {c["hash"]: c.get("parents") or [] for c in cands})
    cost = ca.cost_column(costs)
    costs = costs[costs["candidate"].isin(names) & costs[cost].notna()]
    if len(costs) < 2:
        return
    run_id = run["id"]
    st.subheader(
        "Cost against score",
        help="Each candidate's validation score beside what it spends to answer 1,000 rows "
        "(longer prompts, more examples and more steps cost more). Dark points: no other "
        "candidate scores as high for less.",
    )
    points = st.columns([2, 3])[0].number_input(
        "Points of the best score you would give up for a cheaper prompt", 0, 50, 2,
        key=f"cmp_near_{run_id}",
    )  # fmt: skip
    pick = ca.cheapest_within(costs, cost, points)
    front = ca.pareto_front(costs, cost)
    st.plotly_chart(cost_figure(costs, front, names, cost, pick), key=f"cmp_costs_{run_id}")
    top = costs.sort_values(["score", cost], ascending=[False, True]).iloc[0]
    chosen = costs[costs["candidate"] == pick].iloc[0]
    saving = 1 - chosen[cost] / top[cost] if top[cost] else 0.0
    st.caption(
        f"The cheapest within {points} points of the best: **{safe.md(names[pick])}**, "
        f"{ui.fmt_score(chosen['score'])} for {spend_words(chosen)}"
        + (f" ({saving:.0%} less than the best-scoring one)." if saving > 0.005
           else " (the best-scoring one itself).")
    )  # fmt: skip
    st.button("Compare it as B", key=f"cmp_near_b_{run_id}", icon=":material/compare:",
              on_click=state.set_widget, args=(f"cmp_b_{run_id}", pick))  # fmt: skip
    put_in_use(run, pick, f"cmp_near_use_{run_id}", label="Put it in use",
               origin=f"cheapest within {points} points of the best",
               what="the cheapest near the best")  # fmt: skip
