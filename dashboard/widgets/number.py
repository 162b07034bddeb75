"""A number box whose value keeps the type of its bounds and whose key follows the project."""

from __future__ import annotations

from typing import Any

from dashboard import state


def number(
    where: Any,
    label: str,
    low: int | float,
    high: int | float,
    current: Any,
    key: str,
    step: int | float | None = None,
) -> int | float:
    """`where.number_input` (where: `st` or a column) between `low` and `high`, starting at
    `current`; an int when `low` is an int, else a float. The widget key carries the project's
    revision, so loading another project resets the box."""
    kind = int if isinstance(low, int) else float
    value = where.number_input(
        label, kind(low), kind(high), kind(current), step=step, key=f"{key}_{state.rev()}"
    )
    return kind(value)
