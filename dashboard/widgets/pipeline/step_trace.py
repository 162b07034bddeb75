"""'What each step did' for a tried row: retrieved passages, an agent's thoughts, tool calls
and observations, ProgramOfThought's code and its output, a refined step's tries and their
rewards, a multi-chain step's attempts, a sampled step's samples and the vote (reasoning shows
with the answer)."""

from __future__ import annotations

import dataclasses
from typing import Any

import streamlit as st

from dashboard import safe
from dashboard.lmtools import RowRun
from dashboard.widgets.pipeline.many_trace import chains_view, outputs_text, samples_view
from engine.runs import attempts_key

TRACE_KEYS = ("trajectory", "attempts")  # shown by step here, not as answers


def answer_view(spec: Any, run: RowRun) -> RowRun:
    """The run with only its answers as outputs (passages, trajectories and code go below)."""
    shown = set(spec.label_fields) | {"reasoning"}
    outputs = {k: v for k, v in run.outputs.items() if k in shown or k not in _step_keys(spec)}
    return dataclasses.replace(run, outputs=outputs)


def _step_keys(spec: Any) -> set[str]:
    keys = set(TRACE_KEYS)
    for step in spec.pipeline:
        if step.module == "Retrieve":
            keys.add(step.outputs[0].name)
        if _lists_attempts(step):
            keys.add(attempts_key(step.name))
    return keys


def _lists_attempts(step: Any) -> bool:
    """Whether the step's prediction lists attempts (refine, samples, MultiChainComparison)."""
    many = step.refine is not None or getattr(step, "samples", None) is not None
    return many or step.module == "MultiChainComparison"


def _passages(value: Any) -> list[str]:
    if isinstance(value, str):
        return [p for p in value.split("\n") if p.strip()]
    return [str(p) for p in value or []]


def _trajectory(trajectory: dict[str, Any]) -> None:
    i = 0
    while f"thought_{i}" in trajectory or f"tool_name_{i}" in trajectory:
        st.markdown(f"**Step {i + 1}** — {safe.md(trajectory.get(f'thought_{i}', ''))}")
        tool = trajectory.get(f"tool_name_{i}", "")
        st.code(f"{tool}({trajectory.get(f'tool_args_{i}', {})})", language=None, wrap_lines=True)
        st.caption("Observation")
        st.text(str(trajectory.get(f"observation_{i}", ""))[:2000])
        i += 1
    if i == 0:
        st.caption("The agent took no step.")


def _attempts(attempts: list[dict[str, Any]]) -> None:
    for n, attempt in enumerate(attempts, start=1):
        if len(attempts) > 1:
            st.markdown(f"**Attempt {n}**")
        st.code(attempt.get("code") or "(no code)", language="python", wrap_lines=True)
        if attempt.get("error"):
            st.error(safe.md(str(attempt["error"])[:1500]), icon=":material/error:")
        else:
            st.caption("Output")
            st.code(attempt.get("output") or "(nothing printed)", language=None)


def _tries(step: Any, tries: list[dict[str, Any]]) -> None:
    how = "Refine" if step.refine.mode == "refine" else "Best of N"
    st.caption(
        f"{how}: up to {step.refine.n} tries, stopping at a reward of {step.refine.threshold:g} "
        "(a try whose reply could not be read has no reward and is not listed)"
    )
    for n, attempt in enumerate(tries, start=1):
        kept = " · **kept**" if attempt.get("kept") else ""
        st.markdown(f"**Try {n}** · reward {float(attempt.get('reward', 0)):.2f}{kept}")
        st.text(outputs_text(attempt.get("outputs") or {}))


def show_step_trace(spec: Any, run: RowRun) -> None:
    """One block per step that searched, used tools or ran code (reasoning is shown above)."""
    blocks = []
    for step in spec.pipeline:
        if step.module == "Retrieve" and step.outputs[0].name in run.outputs:
            blocks.append((step, "passages"))
        elif step.module == "ReAct" and isinstance(run.outputs.get("trajectory"), dict):
            blocks.append((step, "trajectory"))
        elif step.module == "ProgramOfThought" and run.outputs.get("attempts"):
            blocks.append((step, "attempts"))
        if step.refine is not None and run.outputs.get(attempts_key(step.name)):
            blocks.append((step, "tries"))
        elif _lists_attempts(step) and run.outputs.get(attempts_key(step.name)):
            many = "chains" if step.module == "MultiChainComparison" else "samples"
            blocks.append((step, many))
    if not blocks:
        return
    st.markdown("**What each step did**")
    for step, kind in blocks:
        extra = {"tries": " · tries", "samples": " · samples"}.get(kind, "")
        with st.expander(f"{safe.md(step.name)} ({step.module}){extra}", expanded=True):
            if kind == "passages":
                query = run.inputs.get(step.inputs[0].name, run.outputs.get(step.inputs[0].name))
                how = f"embeddings: {step.embedder}" if step.embedder else "BM25"
                st.caption(f"Searched for: {safe.md(query)} ({safe.md(how)})")
                for n, passage in enumerate(_passages(run.outputs[step.outputs[0].name]), 1):
                    st.markdown(f"**\\[{n}\\]** {safe.md(passage)}")  # the corpus file's text
            elif kind == "trajectory":
                _trajectory(run.outputs["trajectory"])
            elif kind == "tries":
                _tries(step, run.outputs[attempts_key(step.name)])
            elif kind == "chains":
                chains_view(step, run.outputs[attempts_key(step.name)])
            elif kind == "samples":
                samples_view(step, run.outputs[attempts_key(step.name)])
            else:
                _attempts(run.outputs["attempts"])
