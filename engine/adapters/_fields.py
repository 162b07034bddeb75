"""How the chat and JSON adapters list a signature's fields in their system messages."""

from __future__ import annotations

from typing import Any


def describe_fields(fields: dict[str, Any]) -> str:
    """One numbered line per field: "1. `name` (type): description"."""
    lines = []
    for i, (name, f) in enumerate(fields.items(), 1):
        desc = f": {f.desc}" if f.desc else ""
        lines.append(f"{i}. `{name}` ({f.type_name}){desc}")
    return "\n".join(lines)
