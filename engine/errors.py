"""Typed errors raised by the engine. Every message names the problem and what to do."""

from __future__ import annotations


class TunesmithError(Exception):
    """Base class of every error the engine raises on purpose."""


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
    """An LM call failed after retries (provider error, bad response)."""


class ContextWindowExceededError(LMError):
    """The prompt is longer than the model's context window (DSPy's name and fields)."""

    def __init__(
        self,
        message: str = "Context window exceeded",
        *,
        model: str | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(f"[{model}] {message}" if model else message)  # DSPy's text
        self.model, self.message = model, message


class LMConfigError(LMError):
    """The model name, provider or credentials are wrong (unknown model, missing key)."""


class NoLMConfiguredError(LMConfigError, ValueError):
    """A module was called with no LM: none passed, none configured (DSPy raises ValueError)."""


class RuntimeBuildError(LMConfigError):
    """The embedded model's native runtime (llama-cpp-python's build) cannot run on this CPU."""


class FinetuneUnavailable(TunesmithError, RuntimeError):
    """A model's weights cannot be fine-tuned here (the message says why and what would work)."""


class ProviderUnreachableError(LMError):
    """The provider could not be reached (connection refused, DNS, timeouts after retries)."""


class BudgetExhausted(TunesmithError):
    """A budget limit was reached; raised before the LM call that would exceed it."""

    def __init__(self, message: str, *, limit: str = "") -> None:
        super().__init__(message)
        self.limit = limit


class AdapterParseError(TunesmithError, ValueError):
    """The LM's output could not be parsed into the signature's output fields.

    Carries the raw text so that callers (and the dashboard) can show what the model wrote.
    """

    def __init__(
        self,
        message: str,
        *,
        raw_text: str,
        missing: list[str] | None = None,
        absent: list[str] | None = None,
    ) -> None:
        super().__init__(message)
        self.raw_text = raw_text
        self.missing = list(missing or [])  # fields without a usable value
        # fields the reply did not hold in the expected format at all (None: not known)
        self.absent = None if absent is None else list(absent)

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
