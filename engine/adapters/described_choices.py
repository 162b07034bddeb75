"""Label sets written in a `str` field's description: `desc="one of: billing, shipping, other"`.

Many users declare a closed label set this way instead of a `Literal` (the signature-shape
benchmark's `str_desc` case). The chat adapter reads such a list as reply drafts for the
embedded model: the value is then drafted in bulk once its first token picks a label, and the
reply stops at the end of the value's line. The drafts are open, not closed: a `str` field may
hold any text, so the model can still write something else. Only a list the description ends
with is read, of single-word labels, so prose such as "one of the reasons the customer gives"
is not mistaken for a label set.
"""

from __future__ import annotations

import re

_LABEL = r"[\w.\-/]+"
_SEPARATOR = r"\s*(?:[,;]\s*(?:or\b)?|\bor\b)\s*"
_LIST = re.compile(
    rf"(?:\bone of|\beither)\s*:?\s*(?P<items>{_LABEL}(?:{_SEPARATOR}{_LABEL})+)\s*$",
    re.IGNORECASE,
)
_SPLIT = re.compile(_SEPARATOR, re.IGNORECASE)


def described_choices(desc: str | None) -> tuple[str, ...] | None:
    """The labels a description ends with ("one of: a, b, c", "either a or b"), else None.

    >>> described_choices("one of: refund, order_status, other")
    ('refund', 'order_status', 'other')
    >>> described_choices("The intent; either yes or no.")
    ('yes', 'no')
    >>> described_choices("one of the reasons the customer gives") is None
    True
    """
    match = _LIST.search((desc or "").rstrip().rstrip("."))
    if match is None:
        return None
    labels = [item for item in _SPLIT.split(match.group("items")) if item]
    unique = tuple(dict.fromkeys(labels))
    return unique if len(unique) >= 2 else None
