"""What the CLI prints reaches a terminal as text: control characters shown, never obeyed.

Text from the store or from files could hold ``\\e]0;…\\a`` (set the window title) or
``\\e[2K\\r`` (erase the line); `main` routes stdout and stderr through `TerminalSafe`, which
writes each such character as a visible escape (docs/CLI.md). Kept: tab, newline and the
carriage return of a ``\\r\\n`` line end.
"""

from __future__ import annotations

import io
import re
from typing import TextIO

# C0 controls but tab and newline, a carriage return not ending a line, DEL, C1 controls, and
# the bidirectional overrides that reorder what a line shows
CONTROL = re.compile(r"\r(?!\n)|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def terminal_text(text: str) -> str:
    """`text` with each control character written as its escape (``\\x1b``, ``\\u202e``)."""
    return CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


class TerminalSafe(io.TextIOBase):
    """A text stream writing to `target` through `terminal_text`."""

    def __init__(self, target: TextIO) -> None:
        super().__init__()
        self.target = target

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.target.write(terminal_text(text))
        return len(text)

    def flush(self) -> None:
        self.target.flush()

    def isatty(self) -> bool:
        return self.target.isatty()

    def fileno(self) -> int:
        return self.target.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.target, "encoding", "utf-8")
