"""DSPy's `dspy.utils.exceptions` path: the errors DSPy keeps there, its LM error family among
them (defined in `engine.core._errors`), and `format_error_for_lm`."""

import traceback

from engine.core import (
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


def format_error_for_lm(error: BaseException, *, traceback_frames: int = 0) -> str:
    """An error as text for an LM to read: its message, or with `traceback_frames` > 0 the
    traceback (at most that many frames, on a new line) ending with the message."""
    if traceback_frames <= 0:
        return str(error)
    lines = traceback.format_exception(type(error), error, error.__traceback__,
                                       limit=traceback_frames)  # fmt: skip
    return "\n" + "".join(lines).strip()


__all__ += ["format_error_for_lm"]
