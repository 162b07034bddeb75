"""The engine's core: what every other room builds on and nothing here imports from them.
Signatures and their fields, types and their casting, the records (`Example`,
`Prediction`), settings and callbacks, errors, the reply hints an adapter hands a provider,
the field types (Image, Audio, History, Citations, ...), thread pools and call slots, and the
shapes of secrets. DSPy's paths to them (`engine.signatures`, `engine.primitives`,
`engine.utils.callback`, ...) are doors that import from here."""
# ruff: noqa: I001 (a list of names, kept compact)

from engine.core._audio import Audio, audio_format_name, audio_parts
from engine.core._call_slots import call_priority, call_slot, shared_call_slots
from engine.core._callbacks import (
    ACTIVE_CALL_ID, active_callbacks, BaseCallback, call_heard, with_callbacks,
    with_callbacks_once,
)
from engine.core._citations import Citations, Document
from engine.core._custom_types import Code, Reasoning, Type
from engine.core._errors import (
    AdapterParseError, BudgetExhausted, ContextWindowExceededError, DSPyError, FinetuneUnavailable,
    is_retryable_lm_error, LMAuthError, LMBillingError, LMCollectionLimitError, LMConfigError,
    LMConfigurationError, LMError, LMInvalidRequestError, LMLockTimeoutError, LMNotConfiguredError,
    LMProviderError, LMRateLimitError, LMServerError, LMStreamAssemblyError, LMTimeoutError,
    LMTransportError, LMUnavailable, LMUnexpectedError, LMUnsupportedFeatureError,
    LMUnsupportedModelError, MissingInputError, NoLMConfiguredError, ProviderAuthError,
    ProviderConnectionError, ProviderTimeoutError, ProviderUnreachableError, RuntimeBuildError,
    SearchSettled, SignatureError, SpecError, StateMismatchError, StoreError, TooManyErrors,
    TunesmithError, UnknownModelError,
)
from engine.core._field_types import File, History, Image, ToolCall, ToolCallResults, ToolCalls
from engine.core._native_reply import (
    has_content, hear_reply, hearing_replies, NativeReply, reply_extras, reply_from_message,
    with_extras,
)
from engine.core._parallel import lm_threads, Offload, parallel_map
from engine.core._primitives import Completions, Example, Prediction, total_lm_usage
from engine.core._reply_hints import (
    register_until, REPLY_BIAS, REPLY_CLOSED, REPLY_DRAFTS, REPLY_NUMBER, REPLY_SECTIONS,
    REPLY_START, REPLY_TEXT, REPLY_UNTIL, ReplyHints, SCORE_CHOICES, Scores, Section, until_keeper,
    until_kwargs, until_rule,
)
from engine.core._secret_shapes import (
    endpoint_problem, KEY_SHAPES, random_tokens, secret_param, secret_problems, text_problem,
    URL_PARAM, url_problem, URL_USERINFO,
)
from engine.core._settings import (
    configure, context, DEFAULT_CONFIG, record_trace, Settings, settings,
)
from engine.core._signature_string import parse_type, split_fields
from engine.core._signatures import (
    build_signature, ensure_signature, infer_prefix, InputField, make_signature, OutputField,
    require_inputs, RESERVED_NAMES, Signature, SignatureMeta,
)
from engine.core._types import (
    cast_value, CastError, format_hint, format_value, is_off_list, is_optional, literal_choices,
    match_literal, strip_optional, type_name,
)

__all__ = [
    "ACTIVE_CALL_ID", "active_callbacks", "AdapterParseError", "Audio", "audio_format_name",
    "audio_parts", "BaseCallback", "BudgetExhausted", "build_signature", "call_heard",
    "call_priority", "call_slot", "cast_value", "CastError", "Citations", "Code", "Completions",
    "configure", "context", "ContextWindowExceededError", "DEFAULT_CONFIG", "Document",
    "DSPyError", "endpoint_problem", "ensure_signature", "Example", "File", "FinetuneUnavailable",
    "format_hint", "format_value", "has_content", "hear_reply", "hearing_replies", "History",
    "Image", "infer_prefix", "InputField",
    "is_off_list", "is_optional", "is_retryable_lm_error", "KEY_SHAPES", "literal_choices",
    "lm_threads", "LMAuthError", "LMBillingError", "LMCollectionLimitError", "LMConfigError",
    "LMConfigurationError", "LMError", "LMInvalidRequestError", "LMLockTimeoutError",
    "LMNotConfiguredError", "LMProviderError", "LMRateLimitError", "LMServerError",
    "LMStreamAssemblyError", "LMTimeoutError", "LMTransportError", "LMUnavailable",
    "LMUnexpectedError", "LMUnsupportedFeatureError", "LMUnsupportedModelError", "make_signature",
    "match_literal", "MissingInputError", "NativeReply", "NoLMConfiguredError", "Offload",
    "OutputField", "parallel_map", "parse_type", "split_fields", "Prediction", "ProviderAuthError",
    "ProviderConnectionError", "ProviderTimeoutError", "ProviderUnreachableError", "random_tokens",
    "Reasoning", "record_trace", "register_until", "REPLY_BIAS", "REPLY_CLOSED", "REPLY_DRAFTS",
    "reply_extras", "reply_from_message", "REPLY_NUMBER", "REPLY_SECTIONS", "REPLY_START",
    "REPLY_TEXT", "REPLY_UNTIL", "ReplyHints", "require_inputs", "RESERVED_NAMES",
    "RuntimeBuildError", "SCORE_CHOICES", "Scores", "SearchSettled", "secret_param",
    "secret_problems", "Section", "Settings", "settings", "shared_call_slots", "Signature",
    "SignatureError", "SignatureMeta",
    "SpecError", "StateMismatchError", "StoreError", "strip_optional", "text_problem", "ToolCall",
    "ToolCallResults", "ToolCalls", "TooManyErrors", "total_lm_usage", "TunesmithError", "Type",
    "type_name", "UnknownModelError", "until_keeper", "until_kwargs", "until_rule", "URL_PARAM",
    "url_problem", "URL_USERINFO", "with_callbacks", "with_callbacks_once", "with_extras",
]  # fmt: skip
