"""Which setting mattered, on the Compare page: how much each searched setting explains of the
run's scores, and the mean score of each value of the setting picked."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import streamlit as st

from dashboard import safe
from dashboard.run_data import importance as im


def _bars(labels: list[str], values: list[float], text: list[str], title: str) -> go.Figure:
    fig = go.Figure(go.Bar(
        x=values, y=labels, orientation="h", text=text, textposition="auto",
        marker={"color": "#4f46e5"}, hoverinfo="skip",
    ))  # fmt: skip
    fig.update_layout(
        height=60 + 34 * len(labels), margin={"l": 10, "r": 10, "t": 10, "b": 10},
        xaxis_title=title, yaxis={"autorange": "reversed"},
    )  # fmt: skip
    return fig


def importance_section(
    run_id: str, events: list[dict[str, Any]], cands: list[dict[str, Any]],
    trials: list[dict[str, Any]],
) -> None:
    """The section, when the run tried enough combinations of at least one varied setting;
    the settings that made no difference are named."""
    frame = im.settings_table(im.candidate_settings(events, cands), trials)
    shares = im.importances(frame)
    unmoved = im.no_difference(frame, shares)
    if not shares and not unmoved:
        return
    st.subheader(
        "Which setting mattered",
        help="From this run's own scorings: how much of the difference between scores each "
        "setting the search varied explains (Optuna's PED-ANOVA importance). A setting with a "
        "small share could have been left as it was.",
    )
    if not shares:  # every scoring came out the same
        st.caption(
            f"The search varied {_listed(unmoved)}, and all {len(frame)} scorings came out the "
            f"same ({frame['score'].iloc[0]:.0%}): on these rows, "
            + ("it made no difference." if len(unmoved) == 1 else "none of them made a difference.")
        )
        return
    names = sorted(shares, key=lambda n: -shares[n])
    st.caption(
        f"Over {len(frame)} scorings, **{safe.md(names[0])}** explains the most "
        f"({shares[names[0]]:.0%})."
    )
    left, right = st.columns(2)
    left.plotly_chart(
        _bars([safe.html(n) for n in names], [100 * shares[n] for n in names],
              [f"{shares[n]:.0%}" for n in names], "Share of the score's differences (%)"),
        key=f"cmp_importance_{run_id}",
    )  # fmt: skip
    with right:
        setting = st.selectbox("Score by value of", names, key=f"cmp_setting_{run_id}")
        rows = im.score_by_value(frame, setting)
        st.plotly_chart(
            _bars([safe.html(v) for v, _, _ in rows], [100 * s for _, s, _ in rows],
                  [f"{s:.0%} ({n})" for _, s, n in rows], "Mean score (%); scorings in brackets"),
            key=f"cmp_by_value_{run_id}",
        )  # fmt: skip
    if unmoved:
        st.caption(
            f"{_listed(unmoved)} made no difference to speak of (under "
            f"{im.SMALL_SHARE:.0%} of the score's differences"
            f"{'' if len(unmoved) == 1 else ' each'}): "
            f"{'it' if len(unmoved) == 1 else 'they'} could have been left as set."
        )


def _listed(names: list[str]) -> str:
    """'**a**', '**a** and **b**', '**a**, **b** and **c**' (outside text made inert)."""
    bold = [f"**{safe.md(n)}**" for n in names]
    return bold[0] if len(bold) == 1 else f"{', '.join(bold[:-1])} and {bold[-1]}"
