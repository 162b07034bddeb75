"""One-line open values: an open output the task writes on one line ends after its first
paragraph that holds a value.

Which outputs count. An open `str` output is one-line for a predictor when every demo that has
it writes it on one line, or when the predictor's `one_line_outputs` names it: fitted at compile
time from the training labels (spine `_one_line_fit`), so a candidate without demos
(an instruction search, SIMBA's appended rules) knows it too.

The rule, checked on the current field (after the reply's last `[[ ## field ## ]]` header): the
reply stops at the first blank line after a paragraph that holds a value. A paragraph that only
echoes a format placeholder (`{verdict}`, which a small model copies from the system message) or
that announces the value ("The verdict is:") does not count, as the value follows it. SmolLM2-135M
on the free-text verdict task writes the sentence, then a blank line, then "The output should
be:" or "This is a sentence that is not a sentence." until it stops; on SIMBA's seed 0 that was
half of its generated tokens, and the extra text also lowered the answer's token F1. The loop
rule (`engine.adapters.replies.reply_loops`) still holds inside the paragraph.

Sent only to the embedded model (`ChatAdapter.decoding_kwargs`): a hosted model is not stopped
by a rule checked per token, so hosted replies are unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from engine.adapters.replies.reply_loops import before_loop, looping
from engine.adapters.replies.section_header import HEADER
from engine.core import REPLY_UNTIL, register_until

RULE = "one_line_value"
OPTION = "one_line_outputs"  # the Predict config key that carries the fitted names
_PLACEHOLDER = re.compile(r"\{[^{}\n]*\}")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")


def _holds_value(paragraph: str) -> bool:
    text = paragraph.strip()
    return bool(text) and not _PLACEHOLDER.fullmatch(text) and not text.endswith(":")


def value_end(reply: str) -> int | None:
    """Where the current field's first complete paragraph that holds a value ends, or None."""
    headers = list(HEADER.finditer(reply))
    start = headers[-1].end() if headers else 0
    for blank in _BLANK_LINE.finditer(reply, start):
        if _holds_value(reply[start : blank.start()]):
            return blank.start()
        start = blank.end()
    return None


def settled(reply: str) -> bool:
    """True once the value's paragraph is complete, or a line repeats (`reply_loops`)."""
    return value_end(reply) is not None or looping(reply)


def keep(reply: str) -> str:
    """The reply up to the end of its value's paragraph and before any repeated line."""
    end = value_end(reply)
    return before_loop(reply if end is None else reply[:end])


def one_line_open(
    open_names: list[str], demo_rows: list[dict[str, Any]], fitted: Iterable[str]
) -> bool:
    """Whether the open outputs `open_names` are all one-line: named in `fitted`, or written on
    one line in every demo (as a dict of its fields) that has them, and some demo has them all."""
    if not open_names:
        return False
    if set(open_names) <= set(fitted):
        return True
    if not any(all(n in row for n in open_names) for row in demo_rows):
        return False
    return all(
        "\n" not in str(row[name]).strip()
        for row in demo_rows
        for name in open_names
        if name in row
    )


def one_line_kwargs() -> dict[str, str]:
    """The request parameter naming this rule (the adapter sends it to the embedded model)."""
    return {REPLY_UNTIL: RULE}


register_until(RULE, settled, keep)
