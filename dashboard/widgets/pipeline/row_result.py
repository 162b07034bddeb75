"""Show one pipeline run on a row: answer vs expected, tokens, latency, the prompt sent."""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboard import safe
from dashboard.lmtools import RowRun


def _text(value: Any) -> str:
    return value if isinstance(value, str) else repr(value)


def show_row_run(run: RowRun, score: float | None = None, feedback: str | None = None) -> None:
    """The row's input, the model's answer against the expected one, cost, the metric's score
    and reason (when given), and the prompt sent."""
    with st.container(border=True):
        left, right = st.columns(2)
        with left:
            st.markdown("**Input**")
            for name, value in run.inputs.items():
                st.markdown(f"**{safe.md(name)}**")
                st.text(_text(value))
        with right:
            st.markdown("**Model's answer**")
            if run.error:
                st.error(safe.md(run.error), icon=":material/error:")  # quotes the reply
                if run.raw:
                    st.caption("What the model wrote:")
                    st.text(run.raw[:1500])
            for name, value in run.outputs.items():
                expected = run.expected.get(name)
                mark = ""
                if expected is not None:
                    right = str(value).strip() == str(expected).strip()
                    if score is not None and len(run.expected) == 1:
                        right = score >= 1.0  # the metric decides (e.g. "contains"), not equality
                    mark = " :green[✓]" if right else " :red[✗]"
                st.markdown(f"**{safe.md(name)}**{mark}")
                st.text(_text(value))
            if run.expected:
                st.caption(
                    "Expected: "
                    + safe.md(", ".join(f"{k} = {_text(v)}" for k, v in run.expected.items()))
                )
        prompt, completion = run.tokens
        a, b = st.columns(2)
        a.metric("Tokens (prompt + answer)", f"{prompt:,} + {completion:,}", border=True)
        b.metric(
            "Latency",
            f"{run.latency:.2f} s",
            border=True,
            help=f"{len(run.calls)} LM call(s); the first call also loads the model",
        )
        if score is not None:
            reason = f" — {safe.md(feedback)}" if feedback else ""  # a judge model's words
            st.caption(f"Metric score for this row: {score:.2f}{reason}")
        if run.calls:
            with st.expander("The prompt the model received", expanded=False):
                for i, call in enumerate(run.calls, start=1):
                    if len(run.calls) > 1:
                        st.markdown(f"**LM call {i}**")
                    for message in call["messages"]:
                        st.caption(message["role"].upper())
                        st.code(str(message["content"]), language=None, wrap_lines=True)
                    st.caption("MODEL'S RAW REPLY")
                    st.code("\n".join(call.get("outputs") or []), language=None, wrap_lines=True)
