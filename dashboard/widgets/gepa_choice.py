"""GEPA's settings on the Optimize page: the search size (light / medium / heavy, or a number of
program runs), the minibatch the reflection reads, and merging of lineages."""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboard import state
from dashboard.widgets.number import number
from engine import GEPA

SIZES = ("light", "medium", "heavy", "custom")
LABELS = {"light": "Light", "medium": "Medium", "heavy": "Heavy", "custom": "Set the runs"}
BUDGET_KEYS = ("auto", "max_metric_calls", "max_full_evals")


def runs_for(size: str, steps: int, val_size: int) -> int:
    """Program runs (metric calls) GEPA may spend at this size."""
    return GEPA.auto_metric_calls(size, max(1, steps), max(1, val_size))


def gepa_settings(params: dict[str, Any], ctx: Any) -> None:
    """The size radio and the settings (`ctx`: the registry's SettingsContext); writes GEPA's
    spec params into `params`."""
    steps, val_size = ctx.steps, ctx.val
    current = params.get("auto") if params.get("auto") in SIZES else None
    if current is None:
        current = "custom" if params.get("max_metric_calls") else "light"
    size = st.radio(
        "GEPA search",
        SIZES,
        index=SIZES.index(current),
        format_func=LABELS.get,
        captions=[
            *(
                f"Up to {runs_for(s, steps, val_size)} program runs on single rows."
                for s in SIZES[:3]
            ),
            "Choose how many program runs GEPA may spend.",
        ],
        horizontal=False,
        key=f"gepa_size_{state.rev()}",
    )
    saved_runs = min(100_000, max(10, int(params.get("max_metric_calls") or 200)))
    for key in BUDGET_KEYS:
        params.pop(key, None)
    if size == "custom":
        params["max_metric_calls"] = number(
            st, "Program runs (max)", 10, 100_000, saved_runs, "gepa_runs", step=10
        )
    else:
        params["auto"] = size
    with st.expander("GEPA settings", expanded=False):
        a, b = st.columns(2)
        params["reflection_minibatch_size"] = number(
            a, "Rows the reflection reads", 1, 20, params.get("reflection_minibatch_size", 3),
            "gepa_mb",
        )  # fmt: skip
        params["use_merge"] = b.toggle(
            "Merge lineages",
            value=bool(params.get("use_merge", True)),
            help="Combine two candidates that improved different steps of the pipeline.",
            key=f"gepa_merge_{state.rev()}",
        )
        st.caption(
            "Each step, GEPA runs the prompt on a few training rows, the proposer model reads "
            "the answers and the metric's feedback and rewrites the instruction; a rewrite is "
            "kept only if it does better on those rows, then it is scored on the validation "
            "rows. Metrics that explain their score (every built-in one does) help it most."
        )
