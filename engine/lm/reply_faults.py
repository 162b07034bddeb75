"""Faults a provider's reply can carry although the call succeeded: empty, garbage, far too
long, or cut at max_tokens (counted by kind in each call's record, see `engine.lm.lm.LM`)."""

from __future__ import annotations

from typing import Any

from engine.native_reply import has_content

# A reply longer than this many characters per requested token (or, with no max_tokens, than
# LONG_REPLY_CHARS) is counted as a "long" reply: the provider ignored the length limit.
CHARS_PER_TOKEN_LIMIT = 32
LONG_REPLY_CHARS = 100_000
# Characters no model writes in text: a reply holding them is counted as "garbage".
_GARBAGE_CHARS = frozenset("\x00\ufffd")


def reply_issue(texts: list[str], usage: dict[str, Any], max_tokens: Any = None) -> str | None:
    """The reply's fault kind, or None: "empty_reply" when every completion is blank,
    "garbage" when one holds NUL / replacement characters, "long" when one is far longer than
    max_tokens allows, "truncated" when one stopped at max_tokens (finish_reason "length")."""
    if not any(has_content(t) for t in texts):  # a tool-call-only reply is not empty
        return "empty_reply"
    if any(_GARBAGE_CHARS.intersection(str(t)) for t in texts):
        return "garbage"
    limit = LONG_REPLY_CHARS
    if isinstance(max_tokens, int) and max_tokens > 0:
        limit = min(limit, max_tokens * CHARS_PER_TOKEN_LIMIT)
    if any(len(str(t)) > limit for t in texts):
        return "long"
    if "length" in (usage.get("finish_reasons") or ()):
        return "truncated"
    return None
