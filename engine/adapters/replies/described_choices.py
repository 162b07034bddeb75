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

An `int` output's description can close it the same way (`described_numbers`): codes it lists
("1 for billing, 2 for shipping, 3 for technical problems", "one of: 1, 2, 3") or a small range
("a rating from 1 to 5", "between 0 and 10", "1-5"). Such a reply is then one of those
numbers, picked with its choice scores like a label.
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


MAX_RANGE = 12  # a described range closes the output only up to this many numbers
_INT = r"-?\d+"
_CODE = re.compile(
    rf"(?:^|[\s,;(])(?P<n>{_INT})(?:\s*[=:]\s*|\s+(?:for|means)\s+)[^\W\d]", re.IGNORECASE
)
_RANGE = re.compile(
    rf"(?:\bfrom\s+(?P<a>{_INT})\s+to\s+(?P<b>{_INT})\b"
    rf"|\bbetween\s+(?P<c>{_INT})\s+and\s+(?P<d>{_INT})\b"
    rf"|(?<![\w.\-])(?P<e>{_INT})\s*(?:-|–|to)\s*(?P<f>{_INT})(?![\w.]))",
    re.IGNORECASE,
)
# a description that gives examples ("e.g. 3 for three items") lists no closed set
_EXAMPLES = re.compile(r"\be\.g\.|\bfor (?:example|instance)\b|\bsuch as\b", re.IGNORECASE)


def described_numbers(desc: str | None) -> tuple[int, ...] | None:
    """The numbers an `int` output's description allows, else None: a list it ends with
    ("one of: 1, 2, 3"), codes it gives ("1 for billing, 2 for shipping": two or more), or one
    range of at most `MAX_RANGE` numbers ("from 1 to 5", "between 0 and 10", "1-5"); none
    when it gives examples ("e.g.", "for example", "such as").

    >>> described_numbers("1 for billing, 2 for shipping, 3 for technical problems")
    (1, 2, 3)
    >>> described_numbers("How satisfied the customer is, from 1 to 5")
    (1, 2, 3, 4, 5)
    >>> described_numbers("the number of items ordered") is None
    True
    """
    text = desc or ""
    if _EXAMPLES.search(text):
        return None
    listed = described_choices(text)
    if listed is not None:
        numbers = [int(label) for label in listed if re.fullmatch(_INT, label)]
        return tuple(numbers) if len(numbers) == len(listed) else None
    codes = tuple(dict.fromkeys(int(m.group("n")) for m in _CODE.finditer(text)))
    if len(codes) >= 2:
        return codes
    ranges = list(_RANGE.finditer(text))
    if len(ranges) != 1:
        return None
    low, high = (int(n) for n in ranges[0].groups() if n is not None)
    if not 2 <= high - low + 1 <= MAX_RANGE:
        return None
    return tuple(range(low, high + 1))
