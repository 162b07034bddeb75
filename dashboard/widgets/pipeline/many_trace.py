"""'What each step did' for the steps that run several times besides refine: a
MultiChainComparison step's attempts, a sampled step's samples and the vote."""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboard import safe
from engine.runs import default_normalize


def outputs_text(outputs: dict[str, Any]) -> str:
    """One `name: value` line per output (values cut at 500 characters)."""
    return "\n".join(f"{k}: {str(v)[:500]}" for k, v in outputs.items()) or "(no output)"


def chains_view(step: Any, attempts: list[dict[str, Any]]) -> None:
    """A MultiChainComparison step's attempts (the answer itself is shown above)."""
    st.caption(
        f"MultiChainComparison: {len(attempts)} attempts thinking step by step (the first as "
        "configured, the others sampled), then one call compared them and wrote the answer above"
    )
    for n, attempt in enumerate(attempts, start=1):
        st.markdown(f"**Attempt {n}**")
        if attempt.get("error"):
            st.caption(
                "Could not be read (shown to the comparison as empty): "
                + safe.md(attempt["error"])
            )
        else:
            st.text(outputs_text(attempt.get("outputs") or {}))


def samples_view(step: Any, samples: list[dict[str, Any]]) -> None:
    """A sampled step's samples, the kept one marked, and the vote."""
    field = step.outputs[-1].name
    answered = [s for s in samples if not s.get("error")]
    kept = next((s for s in answered if s.get("kept")), None)
    value = (kept or {}).get("outputs", {}).get(field)
    same = default_normalize(value)  # as majority compares them
    votes = sum(1 for s in answered if default_normalize(s["outputs"].get(field)) == same)
    st.caption(
        f"Asked {len(samples)} times, the most common answer is kept: {safe.md(field)} = "
        f"{safe.md(value)} got {votes} of {len(answered)} votes (a sample whose reply could "
        "not be read does not vote)"
    )
    for n, sample in enumerate(samples, start=1):
        kept_mark = " · **kept**" if sample.get("kept") else ""
        st.markdown(f"**Sample {n}**{kept_mark}")
        if sample.get("error"):
            st.caption(f"Could not be read: {safe.md(sample['error'])}")
        else:
            st.text(outputs_text(sample.get("outputs") or {}))
