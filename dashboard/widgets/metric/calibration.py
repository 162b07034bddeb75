"""Calibrating an LLM judge: the user marks tested rows good or bad, the page shows how often
the judge agrees, and warns when that is below 80%."""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboard import judging, safe


def md(value: Any, limit: int = 160) -> str:
    """A row's text (the user's data, the model's answer, the judge's words) shortened, shown
    as text inside the page's Markdown."""
    text = " ".join(str(value).split())
    return safe.md(text if len(text) <= limit else text[: limit - 1] + "…")


def _answer(run: Any) -> str:
    if run.error:
        return "no valid answer"
    shown = {k: v for k, v in run.outputs.items() if k in run.expected} or run.outputs
    return ", ".join(str(v) for v in shown.values()) or "(empty)"


def calibration(runs: list[Any], scores: list[judging.RowScore], batch: int) -> None:
    """One good/bad choice per tested row, then the judge's agreement with those marks."""
    st.subheader("Calibrate the judge")
    st.caption(
        f"Mark each answer good or bad yourself (at least {judging.MIN_MARKS}). The page then "
        "shows how often the judge agrees with you. A judge score counts as good from "
        f"{judging.GOOD_FROM:.2f} up (3 on 1–5, pass on pass/fail)."
    )
    marks: list[bool | None] = []
    for index, (run, scored) in enumerate(zip(runs, scores)):
        with st.container(border=True):
            left, right = st.columns([5, 2], vertical_alignment="center")
            with left:
                source = " · ".join(str(v) for v in run.inputs.values())
                expected = ", ".join(str(v) for v in run.expected.values())
                st.markdown(
                    f"**Row {index + 1}** · {md(source, 120)}  \n"
                    f"Answer: **{md(_answer(run))}** · expected: {md(expected)}"
                )
                verdict = "good" if scored.score >= judging.GOOD_FROM else "bad"
                st.caption(
                    f"Judge: {scored.score:.2f} ({verdict}) — {md(scored.feedback or '', 300)}"
                )
            with right:
                choice = st.radio(
                    "Your verdict",
                    ["Good", "Bad"],
                    index=None,
                    horizontal=True,
                    key=f"calib_{batch}_{index}",
                )
        marks.append(None if choice is None else choice == "Good")
    _agreement(judging.agreement([s.score for s in scores], marks), len(runs))


def _agreement(result: judging.Agreement, total: int) -> None:
    if not result.enough:
        st.info(
            f"{result.marked} of {total} rows marked. Mark at least {judging.MIN_MARKS} to see "
            "how often the judge agrees with you.",
            icon=":material/rule:",
        )
        return
    a, b, c = st.columns(3)
    a.metric("Judge agrees with you", f"{result.rate:.0%}", border=True)
    b.metric("Rows agreed", f"{result.agreed} of {result.marked}", border=True)
    c.metric(
        "Too generous / too strict",
        f"{result.too_generous} / {result.too_strict}",
        border=True,
        help="Too generous: the judge passed an answer you marked bad. Too strict: the "
        "judge failed an answer you marked good.",
    )
    target = f"{judging.AGREEMENT_TARGET:.0%}"
    if result.trusted:
        st.success(
            f"The judge agrees with you on {result.rate:.0%} of the rows you marked "
            f"(target {target}): its scores are a fair target for the optimizer.",
            icon=":material/check_circle:",
        )
    else:
        st.warning(
            f"The judge agrees with you on only {result.rate:.0%} of the rows you marked, "
            f"below {target}. Optimizing against it may tune the prompt toward the judge's "
            "mistakes. Make the criteria more specific (say what is right and what is wrong), "
            "use a stronger judge model, then test again.",
            icon=":material/warning:",
        )
