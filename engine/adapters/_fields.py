"""How the chat and JSON adapters list a signature's fields in their system messages."""

from __future__ import annotations

from typing import Any


def describe_fields(fields: dict[str, Any]) -> str:
    """One numbered line per field: "1. `name` (type): description", and a line naming the
    field's constraints (`InputField(min_length=5)`, ...) when it declares some, as DSPy
    shows them."""
    lines = []
    for i, (name, f) in enumerate(fields.items(), 1):
        desc = f": {f.desc}" if f.desc else ""
        constraints = dict(f.extra).get("constraints")
        rule = f"\nConstraints: {constraints}" if constraints else ""
        lines.append(f"{i}. `{name}` ({f.type_name}){desc}{rule}")
    return "\n".join(lines)
