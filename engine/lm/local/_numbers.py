"""Number replies: an int or float output's value is written only with the tokens a number takes.

The chat adapter sends `reply_number` ("int" or "float") to the embedded model when the first
output is a number, and marks number sections the same way (`engine.core._reply_hints`). While
the value is written, the model's pick is restricted to the tokens that keep it a number (an
optional "-", digits, one "." for a float) and, once it has a digit, a line break that ends it.
Greedy decoding takes the best allowed token, sampling draws among them.

Why: after a reflected instruction SmolLM2 often writes prose where the number is due ("The
ticket is about a refund."), which no cast can read; the reply runs until the blank-line stop
and the row is lost. A reply that is a number anyway is unchanged: its tokens are all allowed,
so the pick is the same. Hosted models never get the parameter (they take no per-token
constraint), see `ChatAdapter.decoding_kwargs`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_DIGITS = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class NumberTokens:
    """The tokens of one model's vocabulary that numbers are written with."""

    digits: tuple[int, ...]
    minus: tuple[int, ...]
    dot: tuple[int, ...]
    line_break: tuple[int, ...]

    @classmethod
    def of(cls, llama: Any) -> NumberTokens:
        """Scan the vocabulary once (SmolLM2: 49152 pieces, ~0.1 s)."""
        digits, minus, dot, line_break = [], [], [], []
        for token in range(llama.n_vocab()):
            piece = llama.detokenize([token]).decode("utf-8", errors="ignore")
            if _DIGITS.fullmatch(piece):
                digits.append(token)
            elif piece == "-":
                minus.append(token)
            elif piece == ".":
                dot.append(token)
            elif piece and piece.strip(" ") == "\n" * len(piece.strip(" ")) and "\n" in piece:
                line_break.append(token)
        return cls(tuple(digits), tuple(minus), tuple(dot), tuple(line_break))

    def allowed(self, value: str, kind: str) -> tuple[int, ...] | None:
        """The tokens that may follow `value` (the reply after its start), or None once the
        value has ended (a line break after it: the reply is complete)."""
        if "\n" in value:
            return None
        if value in ("", "-"):
            return self.digits + (self.minus if value == "" else ())
        if value.endswith("."):
            return self.digits
        dot = self.dot if kind == "float" and "." not in value else ()
        return self.digits + dot + self.line_break
