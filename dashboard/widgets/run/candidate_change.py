"""GEPA on the Run page: what one kept candidate changed against its parent (a word diff of
each step's instruction) and the feedback the reflection read to write it."""

from __future__ import annotations

import streamlit as st

from dashboard import safe
from dashboard.run_data.gepa import LineageNode, best_node
from dashboard.widgets.diff_view import diff_view

MAX_FEEDBACK_LINES = 8


def _label(node: LineageNode, nodes: list[LineageNode]) -> str:
    parents = " + ".join(f"candidate {p}" for p in node.parents) or "no parent"
    if node.calibrated:
        parents = f"calibrated choices of {parents}"
    gain = ""
    if node.parents:
        delta = node.score - nodes[node.parents[0]].score
        gain = f", {100 * delta:+.0f} pts"
    return f"Candidate {node.number} ({100 * node.score:.0f}%{gain}) · from {parents}"


def _feedback(node: LineageNode) -> None:
    notes = [n for n in node.feedback if n.strip()]
    if not notes:
        st.caption("No feedback was recorded for this candidate's reflection.")
        return
    st.markdown("**What the reflection read**")
    shown = notes[:MAX_FEEDBACK_LINES]
    st.markdown("\n".join(f"- {safe.md(note)}" for note in shown))  # the metric's words
    if len(notes) > len(shown):
        st.caption(f"… and {len(notes) - len(shown)} more.")


def candidate_change(nodes: list[LineageNode], best_hash: str | None = None) -> None:
    """A picker over the candidates that have a parent, starting on the run's chosen one when
    it has a parent; the diff and the reflection's input."""
    children = [n for n in nodes if n.parents]
    if not children:
        return
    with st.container(key="gepa_change"):
        _change(nodes, children, best_node(children, best_hash))


def _change(nodes: list[LineageNode], children: list[LineageNode], best: LineageNode) -> None:
    st.markdown("#### What each candidate changed")
    picked = st.selectbox(
        "Candidate",
        children,
        index=children.index(best),
        format_func=lambda n: _label(n, nodes),
        key=f"gepa_change_pick_{best.hash}",  # a new best (the run goes on) starts the picker on it
        help="Its instruction against its parent's, and the feedback the reflection read.",
    )
    parent = nodes[picked.parents[0]]
    paths = list(dict.fromkeys([*parent.instructions, *picked.instructions]))
    same_note = unchanged_note(picked, parent, several_steps=len(paths) > 1)
    for path in paths:
        if len(paths) > 1:
            st.markdown(f"**Step {safe.md(path)}**")
        diff_view(
            parent.instructions.get(path, ""),
            picked.instructions.get(path, ""),
            f"Candidate {parent.number} (parent)",
            f"Candidate {picked.number}",
            same_note=same_note,
        )
    if not picked.calibrated:
        _feedback(picked)


def unchanged_note(node: LineageNode, parent: LineageNode, several_steps: bool) -> str:
    """What to say under an instruction that `node` left as its parent had it."""
    if node.calibrated:
        return (
            f"Same instruction: candidate {node.number} is candidate {parent.number} with "
            "calibrated choices (the model's lean toward some answers taken off before it "
            "picks), not a rewrite."
        )
    if several_steps:
        return "Unchanged in this step (the reflection rewrote another step)."
    return (
        f"The instruction is the same as candidate {parent.number}'s: the reflection's rewrite "
        "changed nothing the model reads here."
    )
