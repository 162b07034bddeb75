"""How values are quoted in feedback texts: one line, shortened."""

from __future__ import annotations

from typing import Any

QUOTE_CHARS = 60  # longest value quoted in a feedback text


def shorten(text: Any, limit: int = QUOTE_CHARS) -> str:
    """One line of at most `limit` characters (ellipsis when cut)."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def quote(value: Any, limit: int = QUOTE_CHARS) -> str:
    """A value as it appears in feedback: 'text', shortened to one line."""
    return repr(shorten(value, limit)) if isinstance(value, str) else shorten(value, limit)
