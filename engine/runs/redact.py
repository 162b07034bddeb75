"""Keep secrets out of what is stored: provider errors often quote the key they were given
("Incorrect API key provided: sk-..."), and such text reaches run reasons, logs and events.

`redact(text)` replaces the value of every key-like environment variable (…_API_KEY, …_TOKEN,
…_SECRET, …_PASSWORD) and anything shaped like a common API key with "[redacted]".
"""

from __future__ import annotations

import os
import re
from typing import Any

MASK = "[redacted]"
_ENV_NAME = re.compile(r"(API_?KEY|_KEY|TOKEN|SECRET|PASSWORD)$", re.IGNORECASE)
_SHAPES = re.compile(
    r"\b(?:sk|rk|pk)-[A-Za-z0-9_\-]{8,}"  # OpenAI, Anthropic (sk-ant-), similar
    r"|\bAIza[0-9A-Za-z_\-]{20,}"  # Google
    r"|\bhf_[A-Za-z0-9]{20,}"  # Hugging Face
    r"|\bgh[pousr]_[A-Za-z0-9]{20,}"  # GitHub
    r"|(?i:bearer)\s+[A-Za-z0-9._\-]{12,}"
)


def _env_secrets() -> list[str]:
    values = [v for k, v in os.environ.items() if _ENV_NAME.search(k) and len(v) >= 8]
    return sorted(set(values), key=len, reverse=True)


def redact(text: str | None, secrets: list[str] | None = None) -> str | None:
    """`text` with secrets replaced by "[redacted]" (None and "" pass through)."""
    if not text:
        return text
    for value in _env_secrets() if secrets is None else secrets:
        if value in text:
            text = text.replace(value, MASK)
    return _SHAPES.sub(MASK, text)


def redact_data(value: Any, secrets: list[str] | None = None) -> Any:
    """`redact` applied to every string inside dicts, lists and tuples."""
    secrets = _env_secrets() if secrets is None else secrets
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, dict):
        return {k: redact_data(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_data(v, secrets) for v in value]
    if isinstance(value, tuple):
        return tuple(redact_data(v, secrets) for v in value)
    return value
