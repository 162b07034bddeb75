"""Reply drafts: the texts a reply is expected to be, which the embedded model checks in bulk.

An adapter that knows the reply's form (the chat adapter asking for one `Literal` field expects
`[[ ## category ## ]]\\n<one of the choices>\\n`) passes those texts as the request parameter
`reply_drafts`. The embedded model then speculates: it feeds the part of the reply that every
still-possible draft agrees on in one batch and keeps the tokens its own greedy choice confirms
(see `engine.lm.local_drafted`). The drafts decide how many model passes a reply takes, not what
it says (up to the rounding of batched evaluation).

`reply_start` is firmer: a text the reply *must* begin with (the chat adapter sends its first
output header). The embedded model reads it as part of the prompt and writes the rest, and the
reply it returns begins with it. Unlike drafts, this changes what a small model says: it can no
longer start with prose and skip the format.

`reply_closed=True` says the drafts are the only acceptable replies (one label of a closed set):
greedy replies on the embedded model are then always one of them, the model's own choice when it
makes one, else the draft it scores highest where it strayed.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

PARAM = "reply_drafts"
START_PARAM = "reply_start"
CLOSED_PARAM = "reply_closed"


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
