"""Session state of the dashboard: the project being edited (a spec-shaped draft), its data,
column roles, and the per-session secrets that are never saved (API keys).

The draft is a plain dict with exactly the keys of `engine.runs.spec.ProjectSpec`, so it can be
saved while still incomplete and validated by the engine at any time (`build_spec`).
Widgets read from the draft and write back into it; their keys carry `rev()`, which changes when
another project is opened, so every form re-initialises from the new draft.
"""

from __future__ import annotations

import copy
import hashlib
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

DEFAULT_MODEL = "local/smollm2-135m"
ROLES = ("input", "output", "ignore")
ROLE_LABELS = {
    "input": "Input",
    "output": "Expected output",
    "ignore": "Ignore",
}


def empty_draft(name: str = "Untitled project", description: str = "") -> dict[str, Any]:
    return {
        "name": name,
        "description": description,
        "pipeline": [],
        "data": {
            "csv": "data.csv",
            "columns": {},
            "train_size": None,
            "val_size": None,
            "test_size": None,
            "seed": 0,
            "test_csv": None,
        },
        "metric": {"kind": "exact", "field": None, "params": {}},
        "models": {
            "task": {
                "model": DEFAULT_MODEL,
                "temperature": 0.0,
                "max_tokens": 128,
                "api_base": None,
            },
            "proposer": None,
            "judge": None,
        },
        "optimizer": {
            "name": "auto",
            "params": {},
            # None: the Optimize page fits the budget to the run's forecast on first view
            "budget": dict.fromkeys(("max_calls", "max_tokens", "max_cost", "max_minutes")),
            # the dashboard keeps the start unless a gain is clear (the engine's default: worse)
            "keep_start": "unreliable",
        },
    }


def _ss() -> Any:
    return st.session_state


def has_project() -> bool:
    return _ss().get("draft") is not None


def draft() -> dict[str, Any]:
    return _ss()["draft"]


def df() -> pd.DataFrame | None:
    return _ss().get("df")


def roles() -> dict[str, str]:
    return _ss().setdefault("roles", {})


def project_dir() -> Path | None:
    value = _ss().get("project_dir")
    return Path(value) if value else None


def rev() -> int:
    return int(_ss().get("rev", 0))


def bump() -> None:
    """Forget widget state: forms re-read the draft (after opening a project, resets...)."""
    _ss()["rev"] = rev() + 1


def set_widget(key: str, value: Any) -> None:
    """A button's `on_click`: the widget `key` shows `value` when the page draws it next."""
    _ss()[key] = value


def load(draft_: dict[str, Any], data: pd.DataFrame | None, folder: Path | None) -> None:
    """Make this the current project (replacing whatever was open)."""
    ss = _ss()
    ss["draft"] = normalise(draft_)
    ss["df"] = data
    ss["project_dir"] = str(folder) if folder else None
    ss["roles"] = derive_roles(ss["draft"], data)
    ss["saved_hash"] = None
    ss["data_hash"] = None
    ss.pop("try_result", None)
    ss.pop("metric_test", None)
    bump()


def normalise(data: dict[str, Any]) -> dict[str, Any]:
    """Fill missing sections with defaults (older or hand-written spec files)."""
    base = empty_draft()
    out = copy.deepcopy(data)
    for key, value in base.items():
        if key not in out or out[key] is None:
            out[key] = copy.deepcopy(value)
        elif isinstance(value, dict):
            for sub, default in value.items():
                out[key].setdefault(sub, copy.deepcopy(default))
    for step in out["pipeline"]:
        step.setdefault("module", "Predict")
        step.setdefault("instructions", "")
        for f in step.setdefault("fields", []):
            f.setdefault("type", "str")
            f.setdefault("choices", [])
            f.setdefault("description", "")
    return out


def derive_roles(draft_: dict[str, Any], data: pd.DataFrame | None) -> dict[str, str]:
    """Column roles from the mapping: mapped to a last-step output -> output, else input."""
    if data is None:
        return {}
    columns = draft_["data"].get("columns") or {}
    outputs = set()
    if draft_["pipeline"]:
        outputs = {f["name"] for f in draft_["pipeline"][-1]["fields"] if f["role"] == "output"}
    out = {}
    for col in data.columns:
        field = columns.get(col)
        if field is None and not columns:  # no mapping: same-named fields are used by the engine
            names = {f["name"] for s in draft_["pipeline"] for f in s["fields"]}
            field = col if col in names else None
        out[col] = "ignore" if field is None else ("output" if field in outputs else "input")
    return out


# -- secrets (this browser session only; never saved, logged or put in a spec) ----------------
def _key_slot(role: str) -> str:
    return "api_key" if role == "task" else f"api_key_{role}"


def api_key(role: str = "task") -> str:
    """The API key typed for the `role` model (task or proposer) in this browser session."""
    return _ss().get(_key_slot(role), "") or ""


def set_api_key(value: str, role: str = "task") -> None:
    _ss()[_key_slot(role)] = value or ""


# -- measured model speed ---------------------------------------------------------------------
def timed_here(model: str) -> bool:
    """Whether calls timed in this session (a Try, *Time one call*) may set `model`'s speed in
    the estimate: a hosted model's, not the embedded model's. Its typical speed is scaled by
    this machine's timed prompt read and counts a run's demos and its prompts read again,
    where one timed call is a short prompt the model has mostly read already (0.10 s a warm
    call on the generated spam/ham rows, against 0.39 s a call over a default run of them)."""
    return not model.startswith("local/")


def record_speed(model: str, latencies: list[float]) -> None:
    """Remember measured per-call latencies of `model` (the estimate uses their median) when
    they may set its speed (`timed_here`)."""
    if timed_here(model):
        _ss().setdefault("speed", {}).setdefault(model, []).extend(latencies)


def speed(model: str) -> float | None:
    """Median seconds per call measured in this session (`record_speed`; None for a model
    whose speed it may not set)."""
    if not timed_here(model):
        return None
    seen = sorted(_ss().get("speed", {}).get(model) or [])
    return seen[len(seen) // 2] if seen else None


def data_fingerprint(data: pd.DataFrame | None) -> str | None:
    if data is None:
        return None
    return hashlib.sha256(data.to_csv(index=False).encode()).hexdigest()[:16]
