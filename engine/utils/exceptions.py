"""DSPy's `dspy.utils.exceptions` path: the errors DSPy keeps there, its LM error family among
them (defined in `engine.errors`)."""

from engine.errors import (
    AdapterParseError,
    ContextWindowExceededError,
    DSPyError,
    LMAuthError,
    LMBillingError,
    LMCollectionLimitError,
    LMConfigurationError,
    LMError,
    LMInvalidRequestError,
    LMLockTimeoutError,
    LMNotConfiguredError,
    LMProviderError,
    LMRateLimitError,
    LMServerError,
    LMStreamAssemblyError,
    LMTimeoutError,
    LMTransportError,
    LMUnexpectedError,
    LMUnsupportedFeatureError,
    LMUnsupportedModelError,
    is_retryable_lm_error,
)

__all__ = [
    "AdapterParseError", "ContextWindowExceededError",
    "DSPyError", "LMAuthError", "LMBillingError", "LMCollectionLimitError",
    "LMConfigurationError", "LMError", "LMInvalidRequestError", "LMLockTimeoutError",
    "LMNotConfiguredError", "LMProviderError", "LMRateLimitError", "LMServerError",
    "LMStreamAssemblyError", "LMTimeoutError", "LMTransportError", "LMUnexpectedError",
    "LMUnsupportedFeatureError", "LMUnsupportedModelError", "is_retryable_lm_error",
]  # fmt: skip
LM_ERROR_FAMILY = tuple(__all__[2:])  # DSPy 3.4's LM error family, by name
