"""Faults a provider's reply can carry although the call succeeded: empty, garbage, far too
long, or cut at max_tokens (counted by kind in each call's record, see `engine.lm.lm.LM`).

A reply has one size bound, `reply_limit`: the LM cuts a longer reply there (`bounded`) before
the cache, the call history or a module reads it, so a provider that ignores max_tokens (or a
hostile one sending megabytes) cannot fill memory; such a call is counted as "long"."""

from __future__ import annotations

from typing import Any

from engine.core import has_content, reply_extras, with_extras

# A reply longer than this many characters per requested token (or, with no max_tokens, than
# LONG_REPLY_CHARS) is cut there and counted as a "long" reply: the provider ignored the length
# limit. LONG_REPLY_CHARS is half the CSV loader's cell limit, so that an answer written to a
# labelled CSV (quoted against formulas, `engine.runs.data._csv.safe_cell`) still reads back.
CHARS_PER_TOKEN_LIMIT = 32
LONG_REPLY_CHARS = 65_536
# Characters no model writes in text: a reply holding them is counted as "garbage".
_GARBAGE_CHARS = frozenset("\x00\ufffd")


def reply_issue(texts: list[str], usage: dict[str, Any], max_tokens: Any = None) -> str | None:
    """The reply's fault kind, or None: "empty_reply" when every completion is blank, "long"
    when one is far longer than max_tokens allows, "garbage" when one holds NUL / replacement
    characters, "truncated" when one stopped at max_tokens (finish_reason "length")."""
    if not any(has_content(t) for t in texts):  # a tool-call-only reply is not empty
        return "empty_reply"
    if any(len(str(t)) > reply_limit(max_tokens) for t in texts):
        return "long"  # first: a "long" call is one whose reply the LM cut (`bounded`)
    if any(_GARBAGE_CHARS.intersection(str(t)) for t in texts):
        return "garbage"
    if "length" in (usage.get("finish_reasons") or ()):
        return "truncated"
    return None


def reply_limit(max_tokens: Any = None) -> int:
    """The most characters a reply keeps: CHARS_PER_TOKEN_LIMIT per requested token, at most
    LONG_REPLY_CHARS."""
    if isinstance(max_tokens, int) and max_tokens > 0:
        return min(LONG_REPLY_CHARS, max_tokens * CHARS_PER_TOKEN_LIMIT)
    return LONG_REPLY_CHARS


def bounded(texts: list[Any], max_tokens: Any = None) -> list[Any]:
    """The replies, each cut at `reply_limit(max_tokens)` characters (tool calls and reasoning
    kept)."""
    limit = reply_limit(max_tokens)
    return [
        with_extras(t[:limit], reply_extras(t)) if isinstance(t, str) and len(t) > limit else t
        for t in texts
    ]
