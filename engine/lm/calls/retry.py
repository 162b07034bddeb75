"""Which provider errors are worth retrying, and how long to wait between attempts.

Errors are classified by class name (litellm's exception names, which mirror OpenAI's), so this
module never imports litellm and works for any `LM._complete` override that raises them.
"""

from __future__ import annotations

import random
import time
from email.utils import parsedate_to_datetime
from typing import Any

from engine.core import TunesmithError

BACKOFF_BASE = 0.5  # seconds before the first retry
BACKOFF_CAP = 8.0  # longest wait between two attempts

# Checked first: a request that is wrong will be wrong again.
NON_RETRYABLE = frozenset(
    {
        "BadRequestError",
        "AuthenticationError",
        "PermissionDeniedError",
        "NotFoundError",
        "ContextWindowExceededError",
        "ContentPolicyViolationError",
        "UnsupportedParamsError",
        "UnprocessableEntityError",
        "InvalidRequestError",
    }
)
RETRYABLE = frozenset(
    {
        "RateLimitError",
        "Timeout",
        "APITimeoutError",
        "APIConnectionError",
        "InternalServerError",
        "ServiceUnavailableError",
        "BadGatewayError",
    }
)


def _class_names(exc: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(exc).__mro__}


# Some providers report missing credentials as a 500; retrying cannot fix those.
_CREDENTIAL_MARKERS = ("missing credentials", "api key", "api_key")


def is_retryable(exc: BaseException) -> bool:
    """True for rate limits, timeouts, connection errors and 5xx; False for request errors."""
    if isinstance(exc, TunesmithError):
        return False
    names = _class_names(exc)
    message = str(exc).lower()
    if not names & {"RateLimitError", "Timeout", "APITimeoutError"} and any(
        marker in message for marker in _CREDENTIAL_MARKERS
    ):
        return False
    if names & NON_RETRYABLE:
        return False
    if names & RETRYABLE:
        return True
    status = getattr(exc, "status_code", None)
    return isinstance(status, int) and (status in (408, 429) or status >= 500)


def backoff_delay(attempt: int, *, base: float = BACKOFF_BASE, cap: float = BACKOFF_CAP) -> float:
    """Seconds to wait after failed attempt number `attempt` (0-based): exponential, jittered."""
    ceiling = min(cap, base * (2**attempt))
    return ceiling * (0.5 + random.random() / 2)


RETRY_AFTER_CAP = 60.0  # longest Retry-After honoured; a longer one waits this long


def _headers(exc: BaseException) -> list[Any]:
    """Header mappings an exception may carry (litellm / openai / httpx shapes)."""
    found = [getattr(exc, "litellm_response_headers", None), getattr(exc, "headers", None)]
    response = getattr(exc, "response", None)
    found.append(getattr(response, "headers", None))
    return [h for h in found if h is not None and hasattr(h, "get")]


def retry_after(exc: BaseException) -> float | None:
    """Seconds the provider asked to wait (`Retry-After` / `retry-after-ms`), or None."""
    for headers in _headers(exc):
        millis = headers.get("retry-after-ms")
        try:
            if millis is not None:
                return max(0.0, float(millis) / 1000)
        except (TypeError, ValueError):
            pass
        value = headers.get("retry-after")
        if value is None:
            continue
        try:
            return max(0.0, float(value))
        except (TypeError, ValueError):
            pass
        try:  # an HTTP date
            when = parsedate_to_datetime(str(value))
        except (TypeError, ValueError):
            continue
        if when is not None:
            return max(0.0, when.timestamp() - time.time())
    return None


def retry_delay(exc: BaseException, attempt: int) -> float:
    """Seconds to wait before retrying after `exc`: its Retry-After if it gave one (capped at
    RETRY_AFTER_CAP), else the jittered exponential backoff of `attempt`."""
    asked = retry_after(exc)
    if asked is not None:
        return min(asked, RETRY_AFTER_CAP)
    return backoff_delay(attempt)


def sleep(seconds: float) -> None:
    """Wait `seconds`; tests patch this (`monkeypatch.setattr(retry, "sleep", ...)`)."""
    time.sleep(seconds)
