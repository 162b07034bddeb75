"""Keep secrets out of what is stored: provider errors often quote the key they were given
("Incorrect API key provided: sk-..."), and such text reaches run reasons, logs and events.

`redact(text)` replaces the value of every key-like environment variable (…_API_KEY, …_TOKEN,
…_SECRET, …_PASSWORD), anything shaped like a common API key (`engine.core._secret_shapes`: sk-…,
sk-ant-…, AKIA…, AIza…, hf_…, bearer tokens) and the credential part of a URL
(``http://user:KEY@host`` -> ``http://[redacted]@host``, ``?subscription-key=…``, ``;api_key=…``:
see `engine.core._secret_shapes.secret_param`) with "[redacted]". With
``tokens=True`` it also masks long random-looking tokens (keys without a known prefix): logs and
saved specs use that; stored run data does not, as it may hold such values on purpose.

These are the last line of defence: specs and `LM(...)` refuse keys and credentials in URLs at
entry (`engine.core._secret_shapes.secret_problems`, `url_problem`), with a message.
"""

from __future__ import annotations

import io
import os
import re
import sys
import threading
from typing import Any, TextIO

from engine.core import KEY_SHAPES, URL_PARAM, URL_USERINFO, random_tokens, secret_param

MASK = "[redacted]"
_ENV_NAME = re.compile(r"(API_?KEY|_KEY|TOKEN|SECRET|PASSWORD)$", re.IGNORECASE)


def _env_secrets() -> list[str]:
    values = [v for k, v in os.environ.items() if _ENV_NAME.search(k) and len(v) >= 8]
    return sorted(set(values), key=len, reverse=True)


def redact(
    text: str | None, secrets: list[str] | None = None, *, tokens: bool = False
) -> str | None:
    """`text` with secrets replaced by "[redacted]" (None and "" pass through); with `tokens`,
    long random-looking tokens too."""
    if not text:
        return text
    for value in _env_secrets() if secrets is None else secrets:
        if value in text:
            text = text.replace(value, MASK)
    text = KEY_SHAPES.sub(MASK, text)
    if "://" in text:
        text = URL_USERINFO.sub(lambda m: f"{m.group(1)}{MASK}@", text)
    if "=" in text:
        text = URL_PARAM.sub(
            lambda m: m.group(1) + MASK if secret_param(m.group(2), m.group(3)) else m.group(0),
            text,
        )
    if tokens:
        for start, end in reversed(random_tokens(text)):
            text = text[:start] + MASK + text[end:]
    return text


def redact_data(value: Any, secrets: list[str] | None = None, *, tokens: bool = False) -> Any:
    """`redact` applied to every string inside dicts, lists and tuples."""
    secrets = _env_secrets() if secrets is None else secrets
    if isinstance(value, str):
        return redact(value, secrets, tokens=tokens)
    if isinstance(value, dict):
        return {k: redact_data(v, secrets, tokens=tokens) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_data(v, secrets, tokens=tokens) for v in value]
    if isinstance(value, tuple):
        return tuple(redact_data(v, secrets, tokens=tokens) for v in value)
    return value


class RedactingWriter(io.TextIOBase):
    """A text stream that writes whole lines to `target` with secrets redacted.

    The worker's stdout and stderr go to its log file; wrapped in this, nothing written through
    Python (logging, print, tracebacks, a provider library's messages) reaches the log with a
    key in it. Text is held until a newline (or `flush`) so a key split across writes is still
    caught. The secrets are read once, when the stream is made."""

    def __init__(self, target: TextIO) -> None:
        super().__init__()
        self.target = target
        self._secrets = _env_secrets()
        self._pending = ""
        self._lock = threading.Lock()

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        with self._lock:
            self._pending += text
            head, newline, self._pending = self._pending.rpartition("\n")
            if newline:
                self.target.write(redact(head + newline, self._secrets, tokens=True) or "")
        return len(text)

    def flush(self) -> None:
        with self._lock:
            if self._pending:
                self.target.write(redact(self._pending, self._secrets, tokens=True) or "")
                self._pending = ""
        self.target.flush()

    def fileno(self) -> int:
        return self.target.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.target, "encoding", "utf-8")


def redact_std_streams() -> None:
    """Route sys.stdout and sys.stderr through RedactingWriter (the worker does this first)."""
    if not isinstance(sys.stdout, RedactingWriter):
        sys.stdout = RedactingWriter(sys.stdout)
    if not isinstance(sys.stderr, RedactingWriter):
        sys.stderr = RedactingWriter(sys.stderr)
