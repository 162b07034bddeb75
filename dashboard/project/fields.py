"""From column roles to signature fields: suggested names and types, and keeping the pipeline's
first-step inputs and last-step outputs in step with the data mapping."""

from __future__ import annotations

import keyword
import re
from typing import Any

import pandas as pd

MAX_CHOICES = 12


def suggest_name(column: str) -> str:
    """'Ticket Text' -> 'ticket_text' (a valid field name)."""
    name = re.sub(r"[^0-9a-zA-Z_]+", "_", column.strip()).strip("_").lower()
    if not name:
        name = "field"
    if name[0].isdigit():
        name = "f_" + name
    if keyword.iskeyword(name):
        name += "_"
    return name


def suggest_type(values: pd.Series) -> tuple[str, list[str]]:
    """A field type for a label column: a choice (literal) when few distinct values repeat."""
    clean = [str(v).strip() for v in values if str(v).strip()]
    distinct = sorted(set(clean))
    if 2 <= len(distinct) <= MAX_CHOICES and len(distinct) * 2 <= len(clean):
        return "literal", distinct
    if clean and all(re.fullmatch(r"-?\d+", v) for v in clean):
        return "int", []
    if clean and all(re.fullmatch(r"-?\d+(\.\d+)?", v) for v in clean):
        return "float", []
    return "str", []


def mapping(roles: dict[str, str], names: dict[str, str]) -> dict[str, str]:
    """CSV column -> field name for the columns that are used."""
    return {
        col: names.get(col) or suggest_name(col) for col, role in roles.items() if role != "ignore"
    }


def new_step(name: str = "answer") -> dict[str, Any]:
    return {"name": name, "module": "Predict", "instructions": "", "fields": []}


def sync_pipeline(
    draft: dict[str, Any],
    old: dict[str, str],
    new: dict[str, str],
    roles: dict[str, str],
    data: pd.DataFrame | None,
) -> None:
    """Make step 1's inputs and the last step's outputs follow the data mapping.

    Fields the user described keep their description and type; fields that came from a column
    that is now ignored (or renamed) are removed; new ones are added.
    """
    pipeline = draft["pipeline"]
    inputs = [f for c, f in new.items() if roles.get(c) == "input"]
    outputs = [(c, f) for c, f in new.items() if roles.get(c) == "output"]
    if not pipeline:
        if not inputs and not outputs:
            return
        pipeline.append(new_step("classify" if _all_choices(outputs, data) else "answer"))
    stale = set(old.values()) - set(new.values())
    first, last = pipeline[0], pipeline[-1]
    first["fields"] = [
        f for f in first["fields"] if not (f["role"] == "input" and f["name"] in stale)
    ]
    last["fields"] = [
        f for f in last["fields"] if not (f["role"] == "output" and f["name"] in stale)
    ]
    for name in inputs:
        if not any(f["name"] == name for f in first["fields"]):
            position = sum(1 for f in first["fields"] if f["role"] == "input")
            first["fields"].insert(position, _field(name, "input"))
    for column, name in outputs:
        existing = next((f for f in last["fields"] if f["name"] == name), None)
        if existing is None:
            ftype, choices = (
                suggest_type(data[column]) if data is not None and column in data else ("str", [])
            )
            last["fields"].append(_field(name, "output", ftype, choices))
        elif existing["role"] != "output":
            existing["role"] = "output"
    if draft["metric"].get("field") and draft["metric"]["field"] not in [n for _, n in outputs]:
        draft["metric"]["field"] = None


def _all_choices(outputs: list[tuple[str, str]], data: pd.DataFrame | None) -> bool:
    return (
        bool(outputs)
        and data is not None
        and all(c in data and suggest_type(data[c])[0] == "literal" for c, _ in outputs)
    )


def _field(
    name: str, role: str, ftype: str = "str", choices: list[str] | None = None
) -> dict[str, Any]:
    return {
        "name": name,
        "role": role,
        "type": ftype,
        "choices": list(choices or []),
        "description": "",
    }


def add_step(draft: dict[str, Any]) -> None:
    """Append a step that reads the previous step's outputs and takes over the final answers.

    The previous last step gets a new text output (`notes_N`) that the new step reads, plus the
    data inputs are left where they were; the user can rename or rewire everything afterwards.
    """
    pipeline = draft["pipeline"]
    if not pipeline:
        pipeline.append(new_step())
        return
    prev = pipeline[-1]
    labels = [f for f in prev["fields"] if f["role"] == "output"]
    names = {f["name"] for s in pipeline for f in s["fields"]}
    n = len(pipeline) + 1
    link = f"notes_{len(pipeline)}"
    while link in names:
        link += "_"
    prev["fields"] = [f for f in prev["fields"] if f["role"] != "output"] + [
        _field(link, "output") | {"description": "notes for the next step"}
    ]
    step_name = f"step_{n}"
    while any(s["name"] == step_name for s in pipeline):
        step_name += "_"
    step = new_step(step_name)
    step["fields"] = [
        _field(link, "input") | {"description": "notes from the previous step"}
    ] + labels
    pipeline.append(step)


def remove_step(draft: dict[str, Any], index: int) -> None:
    """Remove a step; removing the last one hands its outputs back to the step before it."""
    pipeline = draft["pipeline"]
    if len(pipeline) <= 1 or not 0 <= index < len(pipeline):
        return
    step = pipeline.pop(index)
    if index == len(pipeline):  # it was the last step: the new last step produces the labels
        labels = [f for f in step["fields"] if f["role"] == "output"]
        prev = pipeline[-1]
        linked = {f["name"] for f in step["fields"] if f["role"] == "input"}
        prev["fields"] = [
            f for f in prev["fields"] if not (f["role"] == "output" and f["name"] in linked)
        ]
        prev["fields"] += labels
