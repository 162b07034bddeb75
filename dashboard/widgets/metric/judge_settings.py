"""The LLM judge's settings on the Metric page: criteria, scale, which model judges."""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboard import safe, state

SCALES = {
    "1-5": "Score 1 to 5",
    "1-10": "Score 1 to 10",
    "pass/fail": "Pass or fail",
}
CRITERIA_EXAMPLE = (
    "The answer names the team that should handle the ticket. A billing question goes to "
    "billing, a late parcel to shipping. A vague or made-up team is wrong."
)


def judge_settings(metric: dict[str, Any], draft: dict[str, Any]) -> None:
    """Criteria box and scale choice, written into the draft's `metric` section."""
    metric["criteria"] = st.text_area(
        "What makes a good answer?",
        value=metric.get("criteria") or "",
        placeholder=CRITERIA_EXAMPLE,
        height=110,
        key=f"metric_criteria_{state.rev()}",
        help="The judge model reads these criteria, the row's input, the expected output and "
        "the answer, then gives a score and one sentence of reasoning. Be specific: say what "
        "is right, what is wrong, and what does not matter.",
    )
    scale = metric.get("scale") or "1-5"
    options = list(SCALES) if scale in SCALES else [scale, *SCALES]
    metric["scale"] = st.radio(
        "Scale",
        options,
        index=options.index(scale),
        format_func=lambda s: SCALES.get(s) or safe.md(s),  # radio options read Markdown
        horizontal=True,
        key=f"metric_scale_{state.rev()}",
        help="Scores are turned into 0 to 1: on 1 to 5, a 4 is 0.75; pass is 1 and fail 0.",
    )
    models = draft.get("models") or {}
    judge = (models.get("judge") or {}).get("model")
    task = (models.get("task") or {}).get("model", "the task model")
    st.caption(
        f"Judged by **{safe.md(judge or task)}**"
        + ("" if judge else " (the task model; set `models.judge` in the spec for another one)")
        + ". Each scored row costs one extra model call, counted as role “judge”."
    )


def clear_judge_settings(metric: dict[str, Any]) -> None:
    """Drop judge-only keys when another scoring rule is chosen."""
    metric.pop("criteria", None)
    metric.pop("scale", None)
