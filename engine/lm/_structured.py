"""Structured replies on a served or hosted model: the reply's JSON schema, sent in the form
its endpoint takes.

An adapter asks for a structured reply in OpenAI's form, `response_format={"type":
"json_schema", "json_schema": {"name": ..., "schema": S}}`. Endpoints differ in what they take
(found on llama-cpp-python 0.3.36's server: docs/design/structured-replies.md):

- `json_schema`: OpenAI's form, as asked (OpenAI, vLLM, Ollama and others through litellm);
- `json_object`: `{"type": "json_object", "schema": S}` (llama-cpp-python's server refuses
  `json_schema`, a validation error naming `text` and `json_object` answered with a 500, and
  keeps a reply to S's grammar with this form);
- `text`: no `response_format` at all: the reply is written in the prompt's text format.

Which form is found out, not assumed: where litellm's model table knows the model, what it says
(`supports_response_schema`: `json_schema`, else `text`); otherwise the first call tries the
forms in that order, the provider's refusal of one (`refused`: a 400/422, or an error naming
`response_format`) sending the same request in the next. The form the first call succeeded
with is remembered per (model, endpoint) for the process (not on disk: a port is reused by
another server); while it is unknown, one call at a time finds it. Only an LM that
`supports_response_schema` is negotiated for (not the embedded model: it reads the reply
hints). A refusal is logged once per endpoint and form, the provider's words with the key
masked; a run never stops on one.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import nullcontext
from typing import Any

from engine.core import KEY_SHAPES
from engine.lm._litellm import get_litellm
from engine.lm.calls.error_map import fault_kind

logger = logging.getLogger(__name__)

FORMS = ("json_schema", "json_object", "text")
REFUSAL = "bad_request"  # the fault kind of a provider refusing a request's parameters

Endpoint = tuple[str, str]  # (model, api_base or "")
Send = Callable[[list[dict[str, Any]], dict[str, Any]], Any]

_known: dict[Endpoint, str] = {}  # the form each endpoint took, this process
_finding: dict[Endpoint, threading.Lock] = {}  # one call at a time while a form is unknown
_logged: set[tuple[Endpoint, str]] = set()
_lock = threading.Lock()


def refused(exc: Exception) -> bool:
    """Whether `exc` is the endpoint refusing the request as sent: a 400/422 (`bad_request`),
    or any error naming `response_format` (llama-cpp-python's server answers its validation
    error on the field with a 500)."""
    return fault_kind(exc) == REFUSAL or "response_format" in str(exc)


def requested_schema(response_format: Any) -> dict[str, Any] | None:
    """The schema of an OpenAI-style `json_schema` response_format, else None (a caller's
    own `json_object`, a pydantic class, nothing: sent as they are)."""
    if not isinstance(response_format, dict) or response_format.get("type") != "json_schema":
        return None
    spec = response_format.get("json_schema")
    schema = spec.get("schema") if isinstance(spec, dict) else None
    return schema if isinstance(schema, dict) else None


def in_form(params: dict[str, Any], schema: dict[str, Any], form: str) -> dict[str, Any]:
    """`params` with the schema request written in `form` (one of FORMS)."""
    rest = {k: v for k, v in params.items() if k != "response_format"}
    if form == "json_object":
        return {**rest, "response_format": {"type": "json_object", "schema": schema}}
    return params if form == "json_schema" else rest


def known_form(model: str, api_base: str | None) -> str | None:
    """The form this process found the endpoint takes, or None before its first call."""
    return _known.get((model, api_base or ""))


def schema_form(model: str, api_base: str | None = None) -> str | None:
    """How the model's endpoint takes a reply schema, as far as is known without a call:
    "hints" for the embedded model (it picks only from the allowed replies), the form this
    process found or litellm's table names ("json_schema", "json_object", "text": none), or
    None when only the first call can tell."""
    if model.startswith("local/"):
        return "hints"
    return known_form(model, api_base) or _table_form(model)


def forget_forms() -> None:
    """Forget what every endpoint took (tests; a server replaced behind the same address)."""
    with _lock:
        _known.clear()
        _logged.clear()


def _table_form(model: str) -> str | None:
    """What litellm's model table says of the model: `json_schema` or `text`; None when the
    table does not know it (served models, most local ones)."""
    litellm = get_litellm()
    try:
        litellm.get_model_info(model=model)
    except Exception:  # noqa: BLE001 - not in the table: found out by sending
        return None
    try:
        takes = litellm.supports_response_schema(model=model)
    except Exception:  # noqa: BLE001 - a lookup that fails says nothing
        return None
    return "json_schema" if takes else "text"


def _forms_to_try(endpoint: Endpoint) -> tuple[str, ...]:
    start = _known.get(endpoint) or _table_form(endpoint[0]) or FORMS[0]
    return FORMS[FORMS.index(start) :]


def _lock_while_unknown(endpoint: Endpoint) -> Any:
    if endpoint in _known:
        return nullcontext()
    with _lock:
        return _finding.setdefault(endpoint, threading.Lock())


def _masked(text: str, api_key: str | None) -> str:
    text = text.replace(api_key, "[redacted]") if api_key else text
    return KEY_SHAPES.sub("[redacted]", " ".join(text.split()))[:400]


def _log_refusal(endpoint: Endpoint, form: str, after: str, exc: Exception, key: Any) -> None:
    with _lock:
        if (endpoint, form) in _logged:
            return
        _logged.add((endpoint, form))
    where = f" at {endpoint[1]}" if endpoint[1] else ""
    then = "replies go in the text format" if after == "text" else f"trying {after}"
    logger.warning("%s%s refused a reply schema sent as %s (%s); %s",
                   endpoint[0], where, form, _masked(str(exc), key), then)  # fmt: skip


def complete_structured(
    lm: Any, messages: list[dict[str, Any]], params: dict[str, Any], send: Send,
    retried: dict[str, int],
) -> Any:  # fmt: skip
    """`send(messages, params)`, with a requested reply schema (`requested_schema`) written in
    the form `lm`'s endpoint takes; a refused form is counted in `retried` and the request sent
    again in the next. Errors other than a refusal, and the last form's, are raised."""
    schema = requested_schema(params.get("response_format"))
    if schema is None or not lm.supports_response_schema:
        return send(messages, params)
    endpoint = (lm.model, lm.api_base or "")
    with _lock_while_unknown(endpoint):
        forms = _forms_to_try(endpoint)
        for index, form in enumerate(forms):
            try:
                result = send(messages, in_form(params, schema, form))
            except Exception as exc:
                if index + 1 == len(forms) or not refused(exc):
                    raise
                _log_refusal(endpoint, form, forms[index + 1], exc, lm.api_key)
                retried[REFUSAL] = retried.get(REFUSAL, 0) + 1
                continue
            _known.setdefault(endpoint, form)  # a later refusal of one schema is that call's
            return result
    raise AssertionError("unreachable")
