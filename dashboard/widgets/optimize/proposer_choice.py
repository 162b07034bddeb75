"""The proposer model of the instruction optimizers (MIPROv2, COPRO): the model that writes the
candidate instructions. The task model by default (`models.proposer` is then null), the
embedded model, or a hosted one; its API key, like the task model's, lives in this session only.
"""

from __future__ import annotations

import os
from typing import Any

import streamlit as st

from dashboard import lmtools, safe, state
from engine.runs import text_problem

TEMPERATURE = 1.0  # proposals should differ from each other
KINDS = {
    "same": "Same as the task model",
    "embedded": "Embedded model",
    "hosted": "A hosted model",
}


def _current_kind(proposer: dict[str, Any] | None, kinds: list[str]) -> str:
    if not proposer:
        return "same"
    if proposer["model"].startswith("local/"):
        return "embedded" if "embedded" in kinds else "same"
    return "hosted"


def _hosted(models: dict[str, Any], current: dict[str, Any] | None) -> str:
    """The hosted proposer's name and key; returns why Start is blocked ('' if it is not)."""
    a, b = st.columns(2)
    typed = a.text_input(
        "Proposer model (provider/name)",
        value="" if not current or current["model"].startswith("local/") else current["model"],
        placeholder="openai/gpt-4o",
        key=f"proposer_name_{state.rev()}",
    ).strip()
    models["proposer"] = None
    if not typed:
        return "Type the proposer model's name (e.g. openai/gpt-4o), or keep the task model."
    problem = text_problem(typed)
    if problem:  # a key typed into the name box: refused, never echoed nor saved
        a.error(f"The proposer model name {safe.md(problem)}.")
        return "Take the key out of the proposer model's name: the API key box is for keys."
    if "/" not in typed:
        a.error("Write the proposer model as provider/name, e.g. openai/gpt-4o.")
        return "Write the proposer model's name as provider/name."
    models["proposer"] = {"model": typed, "temperature": TEMPERATURE}
    env_var = lmtools.key_env_var(typed)
    task = models["task"]["model"]
    if not env_var:
        return ""
    if lmtools.key_env_var(task) == env_var and not task.startswith("local/"):
        b.caption(f"Uses the task model's key ({safe.md(env_var)}).")
        return ""
    key = b.text_input(
        f"API key for the proposer ({safe.md(env_var)})",
        type="password",
        value=state.api_key("proposer"),
        key="proposer_key_input",
        placeholder="sk-…",
    )
    state.set_api_key(key, "proposer")
    if key:
        b.caption(":material/lock: For this browser session only, like the task model's key.")
        return ""
    if os.environ.get(env_var):
        b.caption(f"No key typed: the server's {safe.md(env_var)} will be used.")
        return ""
    b.warning(f"Enter an API key, or set {safe.md(env_var)} before starting the dashboard.")
    return "Enter the API key for the proposer model first."


def proposer_choice(models: dict[str, Any]) -> str:
    """Render the choice and write `models["proposer"]`; returns why Start is blocked, or ''."""
    local_task = models["task"]["model"].startswith("local/")
    kinds = ["same", "hosted"] if local_task else ["same", "embedded", "hosted"]
    current = models.get("proposer") or None
    kind = st.radio(
        "Proposer model: who writes the candidate instructions",
        kinds,
        index=kinds.index(_current_kind(current, kinds)),
        horizontal=True,
        format_func=KINDS.get,
        key=f"proposer_kind_{state.rev()}",
        help="Its calls are counted and budgeted apart, as role 'proposer'. "
        "A stronger proposer usually writes better instructions; the task model then runs them.",
    )
    if kind == "same":
        models["proposer"] = None
        st.caption(
            "The task model writes its own instructions. Your instruction always stays a "
            "candidate, so a weak proposer cannot make the result worse."
        )
        return ""
    if kind == "embedded":
        models["proposer"] = {"model": state.DEFAULT_MODEL, "temperature": TEMPERATURE}
        st.caption("SmolLM2-135M writes the instructions on this computer: free, no key.")
        return ""
    return _hosted(models, current)
