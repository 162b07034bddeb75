"""SIMBA's settings on the Optimize page: batch size, variants per step, steps, demos per step
of the program. Defaults are smaller than DSPy's (32 / 6 / 8 / 4) so a first run on the
embedded model takes minutes, not hours."""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboard.widgets.number import number

DEFAULTS = {"bsize": 8, "num_candidates": 3, "max_steps": 4, "max_demos": 4}


def simba_settings(params: dict[str, Any], train_size: int) -> None:
    """Number boxes for SIMBA's main settings; writes them into `params` (the spec's)."""
    a, b = st.columns(2)
    most = max(1, train_size)
    batch = min(int(params.get("bsize", DEFAULTS["bsize"])), most)
    params["bsize"] = number(a, "Training rows per step (batch)", 1, most, batch, "simba_bsize")
    params["num_candidates"] = number(
        b, "Variants per step", 1, 12,
        params.get("num_candidates", DEFAULTS["num_candidates"]), "simba_cand",
    )  # fmt: skip
    c, d = st.columns(2)
    params["max_steps"] = number(
        c, "Steps", 1, 30, params.get("max_steps", DEFAULTS["max_steps"]), "simba_steps"
    )
    params["max_demos"] = number(
        d, "Examples in the prompt (max)", 0, 16,
        params.get("max_demos", DEFAULTS["max_demos"]), "simba_demos",
    )  # fmt: skip
    st.caption(
        "Each step samples a batch of training rows, runs the variants on it, and for the rows "
        "they disagree on adds a worked example or a rule (0 examples: rules only)."
    )
