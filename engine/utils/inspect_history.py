"""`inspect_history(n=1)`: print the last n LM calls as DSPy does (to stdout, or to `file`).

A user-facing function: it prints on purpose. It reads the configured LM's history
(`settings.lm`, or the `lm` given); DSPy reads one history shared by every LM.
"""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Any, TextIO

from engine.core import settings

_RED, _GREEN, _BLUE, _RESET = "\x1b[31m", "\x1b[32m", "\x1b[34m", "\x1b[0m"


def _paint(text: str, color: str, colors: bool) -> str:
    return f"{color}{text}{_RESET}" if colors else text


def _content_text(content: Any) -> str:
    """A message's content as text (multi-part content: its text parts, others described)."""
    if isinstance(content, str):
        return content.strip()
    if isinstance(content, list):
        parts = []
        for part in content:
            if isinstance(part, dict) and part.get("type") == "text":
                parts.append(str(part.get("text", "")).strip())
            elif isinstance(part, dict):
                parts.append(f"<{part.get('type', 'part')}>")
            else:
                parts.append(str(part))
        return "\n".join(parts)
    return "" if content is None else str(content)


def _when(entry: dict[str, Any]) -> str:
    stamp = entry.get("timestamp")
    if isinstance(stamp, (int, float)):
        return datetime.fromtimestamp(stamp).isoformat()
    return str(stamp or "Unknown time")


def _output_text(output: Any) -> str:
    if isinstance(output, dict):
        return str(output.get("text") or "")
    return str(output)


def pretty_print_history(
    history: list[dict[str, Any]], n: int = 1, file: TextIO | None = None
) -> None:
    """Print the last `n` entries of `history`: each message by role, then the response.
    Colours (ANSI) only when printing to stdout, as in DSPy."""
    out = file if file is not None else sys.stdout
    colors = file is None
    for entry in history[-n:] if n > 0 else []:
        messages = entry.get("messages") or [{"role": "user", "content": entry.get("prompt")}]
        out.write("\n\n\n\n")
        out.write(_paint(f"[{_when(entry)}]", _BLUE, colors) + "\n\n")
        for message in messages:
            role = str(message.get("role", "user")).capitalize()
            out.write(_paint(f"{role} message:", _RED, colors) + "\n\n")
            out.write(_content_text(message.get("content")) + "\n\n\n")
        outputs = list(entry.get("outputs") or [])
        if entry.get("error"):
            out.write(_paint("Error:", _RED, colors) + "\n\n" + str(entry["error"]) + "\n\n")
        if outputs:
            out.write(_paint("Response:", _RED, colors) + "\n\n")
            out.write(_paint(_output_text(outputs[0]).strip(), _GREEN, colors) + "\n\n")
        if len(outputs) > 1:
            out.write(_paint(f" \t (and {len(outputs) - 1} other completions)", _RED, colors))
    out.write("\n\n\n\n")


def inspect_history(n: int = 1, file: TextIO | None = None, lm: Any = None) -> None:
    """`dspy.inspect_history(n=1)`: print the last `n` calls of the configured LM (or `lm`)."""
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise ValueError(f"inspect_history(n): n must be a whole number >= 0, not {n!r}")
    if lm is None:
        lm = settings.lm
    history = list(getattr(lm, "history", None) or []) if lm is not None else []
    pretty_print_history(history, n, file=file)
