"""A spec step's typed signature: its fields' Python types, its class name, the Signature.

Shared by what builds the program (steps.py), reads the data (data.py: cells cast to the
fields' types) and writes the exported code (codegen: the same class names).
"""

from __future__ import annotations

from typing import Any, Literal

from engine.core import InputField, OutputField, Signature, make_signature, parse_type
from engine.runs.spec._parts import FieldSpec, StepSpec


def field_annotation(field: FieldSpec) -> Any:
    """The Python type of a spec field: str, int, ..., list[str], Literal[...]."""
    if field.type == "literal":
        return Literal[tuple(field.choices)]  # type: ignore[valid-type]
    return parse_type(field.type)


def class_name(step_name: str) -> str:
    """'classify_ticket' -> 'ClassifyTicket' (the signature class name)."""
    return "".join(part[:1].upper() + part[1:] for part in step_name.split("_") if part) or "Step"


def step_signature(step: StepSpec) -> type[Signature]:
    """The signature of one step (instructions + typed, described fields)."""
    fields: dict[str, Any] = {}
    for f in step.fields:
        maker = InputField if f.role == "input" else OutputField
        fields[f.name] = (field_annotation(f), maker(desc=f.description))
    return make_signature(fields, step.instructions or None, signature_name=class_name(step.name))
