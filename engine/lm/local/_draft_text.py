"""Text of drafted replies: what the drafts still possible agree on next, and the line a closed
choice is keyed by (`engine.core._reply_hints.Scores`)."""

from __future__ import annotations

import os
from collections.abc import Sequence


def draft_continuation(drafts: Sequence[str], written: str) -> str:
    """What every draft that starts with `written` continues with ('' when none or they differ).

    >>> drafts = ["[[ ## c ## ]]\\nage\\n", "[[ ## c ## ]]\\npin\\n"]
    >>> draft_continuation(drafts, "[[ ## c")
    ' ## ]]\\n'
    >>> draft_continuation(drafts, "[[ ## c ## ]]\\np")
    'in\\n'
    """
    tails = [d[len(written) :] for d in drafts if len(d) > len(written) and d.startswith(written)]
    if not tails:
        return ""
    return os.path.commonprefix(tails)


def last_line(text: str) -> str:
    """The last non-blank line of `text`, stripped (the key of a choice written after it)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""
