"""DSPy 3.4's LM error family: a user's `except dspy.LMRateLimitError` (and its siblings)
catches what the engine raises for that fault, and the family has DSPy's bases and codes."""

from __future__ import annotations

import httpx
import pytest

import engine as dspy
from engine.core._errors import LMConfigError, ProviderUnreachableError
from engine.lm import LM
from engine.lm.calls import retry as retry_module

litellm = pytest.importorskip("litellm")


@pytest.fixture(autouse=True)
def _quiet(tmp_path, monkeypatch):
    monkeypatch.setenv("TUNESMITH_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(retry_module, "sleep", lambda seconds: None)


class FailingLM(LM):
    """An LM whose provider always raises `error` (a litellm exception)."""

    def __init__(self, error: Exception) -> None:
        super().__init__("openai/failing", num_retries=1, cache=False)
        self.error = error

    def _complete(self, messages, params):
        raise self.error


def _response(status: int, headers: dict | None = None) -> httpx.Response:
    return httpx.Response(status, headers=headers or {}, request=httpx.Request("POST", "http://x"))


ARGS = {"model": "failing", "llm_provider": "openai"}
CASES = [
    (lambda: litellm.RateLimitError("slow down", response=_response(429, {"retry-after": "7"}),
                                    **ARGS), dspy.LMRateLimitError, "rate_limit"),
    (lambda: litellm.RateLimitError("You exceeded your current quota (insufficient_quota)",
                                    **ARGS), dspy.LMBillingError, "billing"),
    (lambda: litellm.Timeout("request timed out", **ARGS), dspy.LMTimeoutError, "timeout"),
    (lambda: litellm.InternalServerError("boom", **ARGS), dspy.LMServerError, "server"),
    (lambda: litellm.ServiceUnavailableError("overloaded", **ARGS), dspy.LMServerError, "server"),
    (lambda: litellm.AuthenticationError("Incorrect API key", **ARGS), dspy.LMAuthError, "auth"),
    (lambda: litellm.NotFoundError("model does not exist", **ARGS),
     dspy.LMUnsupportedModelError, "unsupported_model"),
    (lambda: litellm.BadRequestError("bad 'temperature'", **ARGS),
     dspy.LMInvalidRequestError, "invalid_request"),
    (lambda: litellm.ContextWindowExceededError("maximum context length is 8", **ARGS),
     dspy.ContextWindowExceededError, "context_window_exceeded"),
    (lambda: ConnectionRefusedError(111, "Connection refused"),
     dspy.LMTransportError, "transport"),
    (lambda: KeyError("surprise"), dspy.LMUnexpectedError, "unexpected"),
]  # fmt: skip


@pytest.mark.parametrize(("make_error", "dspy_class", "code"), CASES)
def test_a_user_except_clause_catches_the_engines_error(make_error, dspy_class, code):
    source = make_error()
    with pytest.raises(dspy_class) as info:
        FailingLM(source)("hi")
    error = info.value
    assert isinstance(error, dspy.LMError) and isinstance(error, dspy.DSPyError)
    assert error.code == code
    assert "openai/failing" in str(error)  # the message names the model
    assert error.__cause__ is source  # the provider's error stays chained


def test_rate_limit_carries_status_and_retry_after_and_is_retryable():
    source = litellm.RateLimitError("slow", response=_response(429, {"retry-after": "7"}), **ARGS)
    with pytest.raises(dspy.LMRateLimitError) as info:
        FailingLM(source)("hi")
    assert info.value.status == 429 and info.value.retry_after == 7.0
    assert dspy.is_retryable_lm_error(info.value)
    assert isinstance(info.value, dspy.LMProviderError)


def test_engine_classes_stay_catchable_by_their_engine_names():
    with pytest.raises(ProviderUnreachableError):
        FailingLM(litellm.Timeout("slow", **ARGS))("hi")
    with pytest.raises(ProviderUnreachableError):
        FailingLM(ConnectionRefusedError(111, "refused"))("hi")
    with pytest.raises(LMConfigError):
        FailingLM(litellm.AuthenticationError("Incorrect API key", **ARGS))("hi")
    with pytest.raises(LMConfigError):
        LM("nonexistent_provider/foo")("hi")


def test_unknown_model_is_dspys_unsupported_model_error():
    with pytest.raises(dspy.LMUnsupportedModelError, match="nonexistent_provider/foo"):
        LM("nonexistent_provider/foo")("hi")


def test_family_bases_and_codes_are_dspys():
    assert dspy.LMConfigurationError is dspy.LMConfigError
    assert issubclass(dspy.LMNotConfiguredError, dspy.LMConfigurationError)
    for name in ("LMAuthError", "LMBillingError", "LMRateLimitError", "LMInvalidRequestError",
                 "LMTimeoutError", "LMServerError"):  # fmt: skip
        assert issubclass(getattr(dspy, name), dspy.LMProviderError), name
    assert issubclass(dspy.LMUnsupportedModelError, dspy.LMInvalidRequestError)
    assert issubclass(dspy.ContextWindowExceededError, dspy.LMInvalidRequestError)
    assert issubclass(dspy.LMStreamAssemblyError, dspy.LMUnexpectedError)
    assert issubclass(dspy.LMError, dspy.DSPyError) and dspy.DSPyError is dspy.TunesmithError
    assert not dspy.is_retryable_lm_error(dspy.LMAuthError("no"))
    assert dspy.is_retryable_lm_error(dspy.LMTransportError("reset"))


def test_a_custom_lm_can_raise_the_family_with_dspys_metadata():
    error = dspy.LMRateLimitError("slow down", model="m", retry_after=2.5, status=429)
    assert str(error) == "[m] slow down" and error.message == "[m] slow down"
    assert (error.code, error.retry_after, error.status, error.model) == (
        "rate_limit",
        2.5,
        429,
        "m",
    )
    feature = dspy.LMUnsupportedFeatureError("no audio", feature="audio")
    assert feature.features == ["audio"] and feature.code == "unsupported_feature"
    window = dspy.ContextWindowExceededError(model="m")
    assert (
        str(window) == "[m] Context window exceeded" and window.message == "Context window exceeded"
    )


def test_the_family_is_at_dspys_exceptions_path():
    from engine.utils import exceptions

    assert exceptions.LMRateLimitError is dspy.LMRateLimitError
    assert exceptions.DSPyError is dspy.DSPyError


def test_same_names_as_dspy():
    real = pytest.importorskip("dspy")
    from engine.utils.exceptions import LM_ERROR_FAMILY

    for name in LM_ERROR_FAMILY:
        assert hasattr(real, name) and hasattr(dspy, name), name
        if isinstance(getattr(real, name), type):
            assert getattr(real, name).default_code == getattr(dspy, name).default_code, name
