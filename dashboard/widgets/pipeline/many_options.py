"""A step's options that run it several times, besides refine: a MultiChainComparison step's
attempts (`m`) and the "vote among samples" option (`samples`, Parallel + majority). Edits the
draft step in place (docs/design/step_types.md)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboard import state
from dashboard.widgets.number import number
from dashboard.widgets.pipeline.option_box import option_box
from engine.runs import MCC_M, SAMPLED_MODULES


def multi_chain_option(step: dict[str, Any], i: int) -> None:
    """How many attempts a MultiChainComparison step compares."""
    low, high, default = MCC_M
    step["m"] = number(st, "Attempts to compare (M)", low, high, int(step.get("m") or default),
                       f"step_m_{i}")  # fmt: skip
    st.caption(
        f"The model thinks step by step {step['m']} times (sampled, so the attempts differ), "
        f"then reads all of them and writes the answer: {step['m'] + 1} model calls per row."
    )


def samples_option(step: dict[str, Any], i: int) -> bool:
    """The checkbox and, when on, the number of samples; True when the step votes (refine is
    then not offered: the two do not combine)."""
    if step["module"] not in SAMPLED_MODULES:
        step.pop("samples", None)
        return False
    refine_key = f"step_refine_{i}_{state.rev()}"  # its box, when shown, is ahead of the draft
    if st.session_state.get(refine_key, step.get("refine") is not None):
        step.pop("samples", None)
        st.caption("Voting among samples is off while the step tries several answers (refine).")
        return False
    samples = option_box(
        step, "samples",
        "Answer several times and keep the most common answer",
        f"step_samples_{i}",
        "Each sample is one more model call; the vote is on the step's last output. "
        "In DSPy's words: Parallel + majority.",
    )  # fmt: skip
    if samples is None:
        return False
    samples["n"] = number(st, "Samples", 2, 10, int(samples.get("n", 3)), f"step_samples_n_{i}")
    return True
