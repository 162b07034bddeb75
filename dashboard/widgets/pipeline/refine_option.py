"""A step's "try several answers" option: BestOfN or Refine with a label-free reward
(docs/design/refine_step.md). Edits the draft step's `refine` in place."""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboard import safe, state
from dashboard.widgets.number import number
from dashboard.widgets.pipeline.option_box import option_box

MODES = {
    "best_of_n": "Best of N: independent tries, the first good one kept",
    "refine": "Refine: a poor try becomes advice for the next one",
}
REWARDS = {
    "valid": "The answer is usable: every output filled in (a choice: one of the choices)",
    "metric": "The metric: the LLM judge grades from its criteria (never sees the expected answer)",
}
LABEL_FREE = ("judge",)


def _rewards(step_index: int) -> list[str]:
    """The rewards this step may use: the metric only when it needs no label and grades this
    step (the last one); else a caption says why it is not offered."""
    draft = state.draft()
    kind = (draft.get("metric") or {}).get("kind", "exact")
    if kind not in LABEL_FREE:
        st.caption(
            f"The metric ({safe.md(kind)}) compares answers with the expected ones, which a "
            "running program does not have, so it cannot pick among tries; an LLM judge metric "
            "can."
        )
        return ["valid"]
    if step_index != len(draft["pipeline"]) - 1:
        st.caption("The metric grades the last step's answer, so this step checks usability.")
        return ["valid"]
    return ["valid", "metric"]


def refine_option(step: dict[str, Any], i: int) -> None:
    """The checkbox and, when on, mode, tries, reward and threshold of step `i`."""
    refine = option_box(
        step, "refine", "Try several answers and keep the best",
        f"step_refine_{i}",
        "Each try is at least one more model call; the reward never reads your labels. "
        "In DSPy's words: BestOfN / Refine.",
    )  # fmt: skip
    if refine is None:
        return
    a, b = st.columns([3, 1])
    mode = refine.get("mode", "best_of_n")
    refine["mode"] = a.selectbox(
        "How to try again", list(MODES), index=list(MODES).index(mode),
        format_func=MODES.get, key=f"step_refine_mode_{i}_{state.rev()}",
    )  # fmt: skip
    refine["n"] = number(b, "Most tries", 2, 10, int(refine.get("n", 3)), f"step_refine_n_{i}")
    rewards = _rewards(i)
    current = refine.get("reward", "valid")
    current = current if current in rewards else "valid"
    c, d = st.columns([3, 1])
    refine["reward"] = c.selectbox(
        "A try is good when", rewards, index=rewards.index(current), format_func=REWARDS.get,
        key=f"step_refine_reward_{i}_{state.rev()}",
    )  # fmt: skip
    refine["threshold"] = number(
        d, "Good enough at (0–1)", 0.0, 1.0, float(refine.get("threshold", 1.0)),
        f"step_refine_threshold_{i}", step=0.1,
    )  # fmt: skip
