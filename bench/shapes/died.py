"""Legs that raised, in the shape matrix's report: kept out of the pooled numbers, shown as
"died: <error>" instead (saved runs from before died legs were recorded have none)."""

from __future__ import annotations

from typing import Any


def died(leg: dict[str, Any]) -> bool:
    return bool(leg.get("error_type")) or leg.get("accuracy") is None


def completed(legs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [leg for leg in legs if not died(leg)]


CELL = 80  # characters of the message in a table cell (the list below the table has it all)


def died_text(leg: dict[str, Any], limit: int | None = None) -> str:
    """'died: <error type>: <message>', the message cut to `limit` and safe in a table."""
    message = str(leg.get("error", "")).replace("|", "/")
    if limit is not None and len(message) > limit:
        message = message[: limit - 1] + "…"
    return f"died: {leg.get('error_type') or 'error'}: {message}".rstrip(": ")


def died_cell(legs: list[dict[str, Any]], case: str, framework: str) -> str:
    """'died: <error>' for `framework` on `case` (the first seed's error), '' if none died."""
    for leg in legs:
        if leg["case"] == case and leg["framework"] == framework and died(leg):
            return died_text(leg, CELL)
    return ""


def died_lines(legs: list[dict[str, Any]]) -> str:
    """A markdown list of the legs that died, or '' when every leg completed."""
    lines = [
        f"- {leg['case']} seed {leg['seed']}, {leg['framework']}: {died_text(leg)} "
        f"(after {leg['calls']} model calls, {leg['split']['wall']:.1f} s)"
        for leg in legs
        if died(leg)
    ]
    if not lines:
        return ""
    return "Legs that died (their case and seed are left out of the pooled rows):\n\n" + "\n".join(
        lines
    )
