"""Reply loops: an open value stops where the model starts writing a line it already wrote.

Greedy decoding on a small model falls into loops: zero-shot SmolLM2 on a ChainOfThought review
task writes "The sentiment is positive." six times, or a sentence of the review five times,
until `max_tokens` (8 of 12 replies ran to the limit, 3 of them in such a loop); in a RAG
answer it writes "The answer is:" eight times before the answer. A line that comes again word
for word within one field adds nothing to the value, and whatever follows it is the loop again.
So on the embedded model the reply stops once a complete line of the field repeats

- any earlier line of the field, for a line of at least `MIN_LINE` characters;
- the field's line just before it (blank lines aside), for a shorter line of two words or more
  ("Step 1:" or "---" may come again further on, and "}" or "end" twice in a row is code),

(a `[[ ## field ## ]]` header starts a new field), and the reply is kept without the repeat. A
later output that is then missing is written from its header (`reply_sections`,
`engine.core._reply_hints`).

The rule is sent only to the embedded model (`ChatAdapter.decoding_kwargs`); a hosted model
cannot be stopped by a rule checked per token, so hosted replies are unchanged.
"""

from __future__ import annotations

from engine.adapters.replies.section_header import HEADER
from engine.core import REPLY_UNTIL, register_until

RULE = "value_loops"
MIN_LINE = 16  # shorter lines ("---", "Step 1:", "{reasoning}") may repeat in a sound value
MIN_SHORT_WORDS = 2  # ... but not twice in a row, unless a single word ("}", "end")


def repeated_line_start(reply: str) -> int | None:
    """Where the first complete line that repeats an earlier line of its field starts, or None."""
    seen: set[str] = set()
    previous = ""
    offset = 0
    for line in reply.splitlines(keepends=True):
        if not line.endswith("\n"):
            break  # still being written
        key = line.strip()
        if HEADER.search(key):
            seen.clear()
            previous = ""
        elif key:
            if key in seen if len(key) >= MIN_LINE else _short_repeat(key, previous):
                return offset
            seen.add(key)
            previous = key
        offset += len(line)
    return None


def _short_repeat(key: str, previous: str) -> bool:
    """A short line of several words written again right after itself."""
    return key == previous and len(key.split()) >= MIN_SHORT_WORDS


def looping(reply: str) -> bool:
    """True once a line of the reply repeats (the rule checked after every token)."""
    return repeated_line_start(reply) is not None


def before_loop(reply: str) -> str:
    """The reply, finished (so its last line is complete), without its first repeated line and
    what follows it; a reply without a repeat is returned as it is."""
    cut = repeated_line_start(reply if reply.endswith("\n") else reply + "\n")
    return reply if cut is None else reply[:cut].rstrip() + "\n"


def loop_kwargs() -> dict[str, str]:
    """The request parameter naming this rule (the adapter sends it to the embedded model)."""
    return {REPLY_UNTIL: RULE}


register_until(RULE, looping, before_loop)
