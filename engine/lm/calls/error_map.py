"""Turn provider exceptions (litellm's, or anything an `LM._complete` raises) into engine errors.

Every message names the model and the problem, and says what to do when that is known.
"""

from __future__ import annotations

import re

from engine.core import (
    ContextWindowExceededError,
    LMBillingError,
    LMInvalidRequestError,
    LMNotConfiguredError,
    LMRateLimitError,
    LMServerError,
    LMUnexpectedError,
    ProviderAuthError,
    ProviderConnectionError,
    ProviderTimeoutError,
    TunesmithError,
    UnknownModelError,
)
from engine.lm.calls.retry import retry_after

MODEL_NAME_HINT = "use 'provider/model', e.g. 'openai/gpt-4o-mini' or 'local/smollm2-135m'"

_UNKNOWN_PROVIDER_MARKERS = (
    "llm provider not provided",
    "unmapped llm provider",
    "provider list",
    "is not a valid llm provider",
)
_ENV_VAR = re.compile(r"\b([A-Z][A-Z0-9_]*_(?:API_KEY|TOKEN|KEY))\b")


def _short(text: str, limit: int = 400) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit] + "…"


def _names(exc: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(exc).__mro__}


_CONNECTION_FAILURES = frozenset(
    {"ConnectError", "ConnectTimeout", "ConnectionError", "APIConnectionError", "gaierror"}
)


def _connection_failed(exc: BaseException) -> bool:
    """True if `exc` or an exception it was raised from is a failure to connect."""
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 12:
        if _names(current) & _CONNECTION_FAILURES:
            return True
        current = current.__cause__ or current.__context__
        seen += 1
    return False


_BILLING_MARKERS = ("insufficient_quota", "billing", "exceeded your current quota")


def to_lm_error(
    exc: BaseException, *, model: str, api_base: str | None = None, attempts: int = 1
) -> TunesmithError:
    """The engine error that describes `exc` for a call to `model` (TunesmithErrors pass as is).

    Each is also the matching class of DSPy's LM error family (LMRateLimitError, LMTimeoutError,
    LMAuthError, ...), carrying the provider's `status` and `retry_after` when it gave them.
    """
    if isinstance(exc, TunesmithError):
        return exc
    error = _classify(exc, model=model, api_base=api_base, attempts=attempts)
    status = getattr(exc, "status_code", None)
    error.status = status if isinstance(status, int) else error.status
    error.provider = getattr(exc, "llm_provider", None) or error.provider
    error.retry_after = retry_after(exc)
    return error


def _classify(
    exc: BaseException, *, model: str, api_base: str | None, attempts: int
) -> TunesmithError:
    names = _names(exc)
    message = str(exc)
    lowered = message.lower()
    detail = _short(message)
    where = api_base or "its default endpoint"
    tries = f" after {attempts} attempt{'s' if attempts != 1 else ''}"

    if any(marker in lowered for marker in _UNKNOWN_PROVIDER_MARKERS):
        return UnknownModelError(
            f"Unknown model {model!r}: no provider recognised; {MODEL_NAME_HINT}."
        )
    mentions_key = ("api key" in lowered or "api_key" in lowered) and not names & {
        "APIConnectionError",
        "Timeout",
        "RateLimitError",
    }
    if names & {"AuthenticationError", "PermissionDeniedError"} or mentions_key:
        env = _ENV_VAR.search(message)
        hint = (
            f" Set the {env.group(1)} environment variable or pass api_key=."
            if env
            else (" Pass api_key= or set the provider's API key environment variable.")
        )
        text = f"Missing or invalid API key for model {model!r}.{hint} ({detail})"
        if names & {"AuthenticationError", "PermissionDeniedError"}:
            return ProviderAuthError(text)
        return LMNotConfiguredError(text)
    if "NotFoundError" in names:
        return UnknownModelError(
            f"Model {model!r} was not found at {where}; check the model name and that your "
            f"account can use it ({detail})"
        )
    if "ContextWindowExceededError" in names:
        return ContextWindowExceededError(
            f"The prompt is too long for model {model!r}'s context window: shorten the inputs, "
            f"use fewer demos (max_bootstrapped_demos / max_labeled_demos) or a model with a "
            f"longer context ({detail})",
            model=model,
        )
    if names & {"Timeout", "APITimeoutError"}:
        return ProviderTimeoutError(
            f"Model {model!r} at {where} timed out{tries}; is the server up and responsive? "
            f"({detail})"
        )
    if _connection_failed(exc):
        return ProviderConnectionError(
            f"Cannot reach the provider of model {model!r} at {where}{tries} ({detail})"
        )
    status = getattr(exc, "status_code", None)
    if "RateLimitError" in names or status == 429:
        if any(marker in lowered for marker in _BILLING_MARKERS):
            return LMBillingError(
                f"Model {model!r}: the provider refused the request for billing or quota "
                f"reasons; check the account's plan and credit ({detail})"
            )
        return LMRateLimitError(
            f"Model {model!r} is rate limited{tries}; try later or lower num_threads ({detail})"
        )
    if names & {"InternalServerError", "ServiceUnavailableError", "BadGatewayError"} or (
        isinstance(status, int) and status >= 500
    ):
        return LMServerError(f"The provider of model {model!r} failed{tries}: {detail}")
    if names & {"BadRequestError", "UnprocessableEntityError", "UnsupportedParamsError"}:
        return LMInvalidRequestError(
            f"The provider rejected the request to model {model!r}: {detail}"
        )
    return LMUnexpectedError(
        f"LM call to model {model!r} failed{tries}: {type(exc).__name__}: {detail}"
    )


# Kinds of fault recorded per LM call (`CallRecord.fault`, `lm_calls.fault`, the Run page).
# A call whose process died before it answered (a Ray actor killed mid-row): recorded so the
# ledger keeps every call the budget granted; not the model's failure (the breaker skips it).
WORKER_LOST = "worker_lost"
FAULT_KINDS = (
    "rate_limit", "timeout", "server_error", "connection", "auth", "not_found",
    "context_window", "bad_request", "empty_reply", "garbage", "long", "truncated", "other",
    WORKER_LOST,
)  # fmt: skip
# Faults no retry and no other call of the run can fix: the run stops at the first one.
FATAL_FAULTS = frozenset({"auth", "not_found"})


def fault_kind(exc: BaseException) -> str:
    """The kind of fault `exc` is (one of FAULT_KINDS), judged like `to_lm_error` judges it."""
    names = _names(exc)
    cause = exc.__cause__
    if isinstance(exc, TunesmithError) and isinstance(cause, Exception):
        return fault_kind(cause)  # an engine error raised from a provider error
    lowered = str(exc).lower()
    status = getattr(exc, "status_code", None)
    if any(marker in lowered for marker in _UNKNOWN_PROVIDER_MARKERS):
        return "not_found"
    transient = names & {"APIConnectionError", "Timeout", "APITimeoutError", "RateLimitError"}
    if names & {"AuthenticationError", "PermissionDeniedError"} or (
        ("api key" in lowered or "api_key" in lowered) and not transient
    ):
        return "auth"
    if "NotFoundError" in names:
        return "not_found"
    if "ContextWindowExceededError" in names:
        return "context_window"
    if names & {"Timeout", "APITimeoutError"}:
        return "timeout"
    if "RateLimitError" in names or status == 429:
        return "rate_limit"
    if _connection_failed(exc) or names & {"ConnectionResetError", "ConnectionAbortedError"}:
        return "connection"
    if names & {"InternalServerError", "ServiceUnavailableError", "BadGatewayError"} or (
        isinstance(status, int) and status >= 500
    ):
        return "server_error"
    if names & {"BadRequestError", "UnprocessableEntityError", "UnsupportedParamsError"}:
        return "bad_request"
    return "other"
