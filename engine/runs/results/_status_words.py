"""A run's end in words a person reads: a budget stop is "finished early", not a failure."""

from __future__ import annotations

import re

LIMIT_WORDS = {  # limit key: (its name, its value in words)
    "max_seconds": ("time limit", lambda v: f"{float(v) / 60:g} min"),
    "max_calls": ("LM-call limit", lambda v: f"{int(float(v)):,} calls"),
    "max_tokens": ("token limit", lambda v: f"{int(float(v)):,} tokens"),
    "max_cost": ("cost limit", lambda v: f"${float(v):g}"),
}
LIMIT_REASON = re.compile(
    r"(?:(\w+)\.)?(max_seconds|max_calls|max_tokens|max_cost)=([\d.]+) reached"
)


def ended_words(status: str, reason: str | None) -> str:
    """Why a run ended, in the page's words: a budget stop reads as "finished early: time
    limit (15 min) reached, the best prompt found so far is kept"; other reasons as given."""
    if status != "stopped: budget":
        return reason or ""
    found = LIMIT_REASON.search(reason or "")
    if found is None:
        return "finished early: a budget limit was reached; the best prompt found so far is kept"
    role, name, value = found.groups()
    what, amount = LIMIT_WORDS[name]
    whose = f" of the {role} model" if role else ""
    return (
        f"finished early: the {what}{whose} ({amount(value)}) was reached; "
        "the best prompt found so far is kept"
    )
