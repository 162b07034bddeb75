"""Label sets written in a `str` field's description: `desc="one of: billing, shipping, other"`.

Many users declare a closed label set this way instead of a `Literal` (the signature-shape
benchmark's `str_desc` case). On the embedded model the chat adapter treats such a list as a
Literal's values: the reply is one of the labels (closed reply drafts, `reply_closed`), drafted
in bulk once its first token picks a label, it stops at the end of the value's line, and the
model reports its scores for the labels (so choice calibration applies). The user declared the
set, so a reply off it is wrong by their own definition; left open, SmolLM2 wrote prose labels
(random search on the `str_desc` case, data seed 1: held-out 0% -> 37.5% once closed). Only a
list the description ends with is read, of single-word labels, so prose such as "one of the
reasons the customer gives" is not mistaken for a label set and the output stays open. Hosted
models get none of this (the parameters are the embedded model's).
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
