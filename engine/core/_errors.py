"""Typed errors raised by the engine. Every message names the problem and what to do."""

from __future__ import annotations

from typing import Any


class TunesmithError(Exception):
    """Base class of every error the engine raises on purpose (DSPy's `DSPyError` is this class).

    Takes DSPy's optional metadata keywords: `code` (else the class's `default_code`), `model`
    (the message then starts with "[model] "), `provider`, `provider_code`, `status`,
    `request_id` and `retry_after` (seconds).
    """

    default_code: str | None = None

    def __init__(
        self,
        *args: object,
        code: str | None = None,
        model: str | None = None,
        provider: str | None = None,
        provider_code: str | None = None,
        status: int | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        if model and len(args) <= 1:
            args = (f"[{model}] {args[0]}" if args and args[0] else f"[{model}]",)
        super().__init__(*args)
        self.message = str(args[0]) if args else ""
        self.code = code or self.default_code
        self.model, self.provider, self.provider_code = model, provider, provider_code
        self.status, self.request_id, self.retry_after = status, request_id, retry_after


class SignatureError(TunesmithError, ValueError):
    """A signature string, field name or field type is malformed."""


class StateMismatchError(TunesmithError, KeyError, ValueError):
    """A saved state names other predictors than the program has (a KeyError, as DSPy raises,
    and a ValueError); nothing is loaded."""

    def __str__(self) -> str:  # the message, not KeyError's quoted repr
        return str(self.args[0]) if self.args else ""


class FieldDeclarationError(SignatureError, TypeError):
    """A signature class declares a field without InputField() or OutputField() (a TypeError,
    as DSPy raises there)."""


class MissingInputError(TunesmithError, ValueError):
    """A module was called without one of its signature's input fields."""


class LMError(TunesmithError, RuntimeError):
    """An LM call failed after retries (provider error, bad response). The base of DSPy's LM
    error family below: `except engine.LMRateLimitError` catches the engine's rate limits."""

    default_code = "lm_error"


# -- DSPy 3.4's LM error family (same names, bases and codes); engine.lm.calls.error_map raises the
# engine's leaves of it, defined after the family.
class LMTransportError(LMError):
    """The request failed before the provider answered (network, DNS, TLS, connection reset)."""

    default_code = "transport"


class LMLockTimeoutError(LMError):
    """A local lock could not be taken in time (not raised by the engine; for custom LMs)."""

    default_code = "lock_timeout"


class LMCollectionLimitError(LMError):
    """A local collector reached its budget (not raised by the engine; for custom LMs)."""

    default_code = "collection_limit"


class LMConfigError(LMError):
    """The model name, provider or credentials are wrong (DSPy's `LMConfigurationError`)."""

    default_code = "configuration"


class LMNotConfiguredError(LMConfigError):
    """The LM lacks a provider setting or credentials it needs (a missing API key)."""

    default_code = "not_configured"


class LMUnsupportedFeatureError(LMError):
    """The model or provider cannot do what was asked (audio for a text-only model, ...)."""

    default_code = "unsupported_feature"

    def __init__(
        self,
        message: str = "",
        *,
        features: list[str] | None = None,
        feature: str | None = None,
        issues: list[str] | None = None,
        **meta: object,
    ) -> None:
        super().__init__(message, **meta)  # type: ignore[arg-type]
        self.feature = feature
        self.features = list(features) if features is not None else [feature] if feature else []
        self.issues = list(issues or [])


class LMProviderError(LMError):
    """The provider answered with an error."""

    default_code = "provider"


class LMUnexpectedError(LMError):
    """An LM call failed in a way no other class describes; the cause is chained."""

    default_code = "unexpected"


class LMStreamAssemblyError(LMUnexpectedError):
    """A streamed reply was incomplete or invalid (not raised by the engine; for custom LMs)."""

    default_code = "stream_assembly"


class LMAuthError(LMProviderError):
    """The provider rejected the credentials."""

    default_code = "auth"


class LMBillingError(LMProviderError):
    """The provider refused the request for billing or quota reasons."""

    default_code = "billing"


class LMRateLimitError(LMProviderError):
    """The provider rate-limited the request; `retry_after` holds its suggested wait, if any."""

    default_code = "rate_limit"


class LMInvalidRequestError(LMProviderError):
    """The provider rejected the request's shape or the resource it names."""

    default_code = "invalid_request"


class LMUnsupportedModelError(LMInvalidRequestError):
    """The provider does not know or offer the requested model."""

    default_code = "unsupported_model"


class LMTimeoutError(LMProviderError):
    """The provider did not answer in time."""

    default_code = "timeout"


class LMServerError(LMProviderError):
    """The provider failed while handling the request (a 5xx)."""

    default_code = "server"


LMConfigurationError = LMConfigError  # DSPy's name
DSPyError = TunesmithError  # DSPy's name
RETRYABLE_LM_ERRORS = (LMRateLimitError, LMTimeoutError, LMServerError, LMTransportError,
                       LMLockTimeoutError)  # fmt: skip


def is_retryable_lm_error(error: BaseException) -> bool:
    """True for the LM errors a later attempt may fix (rate limit, timeout, 5xx, transport)."""
    return isinstance(error, RETRYABLE_LM_ERRORS)


class ContextWindowExceededError(LMInvalidRequestError):
    """The prompt is longer than the model's context window (DSPy's name and fields)."""

    default_code = "context_window_exceeded"

    def __init__(
        self,
        message: str = "Context window exceeded",
        *,
        model: str | None = None,
        **kwargs: object,
    ) -> None:
        meta = {key: kwargs[key] for key in _META_KEYWORDS if key in kwargs}
        super().__init__(message, model=model, **meta)  # type: ignore[arg-type]
        self.message = message  # DSPy's: without the model


_META_KEYWORDS = ("code", "provider", "provider_code", "status", "request_id", "retry_after")


class NoLMConfiguredError(LMConfigError, ValueError):
    """A module was called with no LM: none passed, none configured (DSPy raises ValueError)."""


class RuntimeBuildError(LMConfigError):
    """The embedded model's native runtime (llama-cpp-python's build) cannot run on this CPU."""


class ProviderUnreachableError(LMError):
    """The provider could not be reached (connection refused, DNS, timeouts after retries)."""


# -- the leaves engine.lm.calls.error_map raises: an engine class and DSPy's at once
class ProviderConnectionError(ProviderUnreachableError, LMTransportError):
    """The provider could not be reached: connection refused, DNS, reset."""

    default_code = "transport"


class ProviderTimeoutError(ProviderUnreachableError, LMTimeoutError):
    """The provider did not answer in time, after retries."""

    default_code = "timeout"


class ProviderAuthError(LMConfigError, LMAuthError):
    """The provider rejected the API key, or it is missing."""

    default_code = "auth"


class UnknownModelError(LMConfigError, LMUnsupportedModelError):
    """No provider recognises the model name, or the provider does not have that model."""

    default_code = "unsupported_model"


class FinetuneUnavailable(TunesmithError, RuntimeError):
    """A model's weights cannot be fine-tuned here (the message says why and what would work)."""


class BudgetExhausted(TunesmithError):
    """A budget limit was reached; raised before the LM call that would exceed it."""

    def __init__(self, message: str, *, limit: str = "") -> None:
        super().__init__(message)
        self.limit = limit


class SearchSettled(BudgetExhausted):
    """The search stopped early: the best validation score did not improve in the number of
    scorings the run allows (`stop_when_flat`), or the rest of the call budget is unlikely to
    beat it (`stop_when_out_of_reach`). The message says which."""

    def __init__(self, message: str) -> None:
        super().__init__(message, limit="plateau")


class AdapterParseError(TunesmithError, ValueError):
    """The LM's output could not be parsed into the signature's output fields.

    Carries the raw text so that callers (and the dashboard) can show what the model wrote.
    DSPy's keywords work too: `AdapterParseError(adapter_name=, signature=, lm_response=,
    message=None, parsed_result=None)` (the raw text is then `lm_response`).
    """

    default_code = "adapter_parse_error"

    def __init__(
        self,
        message: str | None = None,
        *,
        raw_text: str | None = None,
        missing: list[str] | None = None,
        absent: list[str] | None = None,
        adapter_name: str | None = None,
        signature: Any = None,
        lm_response: str | None = None,
        parsed_result: dict[str, Any] | None = None,
    ) -> None:
        raw = raw_text if raw_text is not None else lm_response
        expected = list(getattr(signature, "output_fields", None) or ())
        if adapter_name is not None or message is None:
            found = list(parsed_result or ())
            said = (
                f"{adapter_name or 'The adapter'} could not read the LM's reply into the "
                f"output fields {expected}"
            ) + (f"; it found {found}" if found else "")
            message = f"{message}\n\n{said}" if message else said
        super().__init__(message)
        self.raw_text = "" if raw is None else str(raw)
        self.missing = list(
            missing
            if missing is not None
            else [f for f in expected if f not in (parsed_result or {})]
        )
        # fields the reply did not hold in the expected format at all (None: not known)
        self.absent = None if absent is None else list(absent)
        self.adapter_name = adapter_name
        self.signature = signature
        self.parsed_result = parsed_result

    @property
    def lm_response(self) -> str:
        """DSPy's name of the raw reply."""
        return self.raw_text

    def __str__(self) -> str:
        raw = self.raw_text if len(self.raw_text) <= 400 else self.raw_text[:400] + "…"
        return f"{self.args[0]}\n--- raw LM output ---\n{raw}"


class TooManyErrors(TunesmithError, RuntimeError):
    """More examples failed than `max_errors` allows (a RuntimeError, as DSPy's stop is)."""


class SpecError(TunesmithError, ValueError):
    """A project spec is invalid (unknown optimizer, missing column, bad budget, ...)."""


class LMUnavailable(BudgetExhausted):
    """The run's LM calls keep failing (or failed in a way no retry can fix): the run stops
    early, like an exhausted budget, instead of spending more calls on errors."""


class StoreError(TunesmithError):
    """The run store file cannot be read: damaged, truncated, or not a Tunesmith store."""
