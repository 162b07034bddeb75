"""What a reply may be, stated once: an output's closed values, and the JSON schema of a reply.

The embedded model reads the closed values as reply hints (`engine.adapters.chat`: closed
drafts, number tokens); a provider with structured outputs gets the same contract as a JSON
schema (`reply_schema`), sent as an OpenAI-style `response_format` (`schema_format`) that the
LM layer turns into the form its endpoint takes (`engine.lm._structured`).
"""

from __future__ import annotations

import enum
from typing import Any

from engine.adapters.replies.described_choices import described_choices, described_numbers
from engine.core import SCORE_CHOICES, format_value, literal_choices, strip_optional

SCHEMA_NAME = "reply"  # the `json_schema.name` sent; providers require one
TOP_LOGPROBS = 20  # alternatives asked for per token: the most OpenAI's API gives


def _choices(annotation: Any) -> tuple[Any, ...] | None:
    """The values of a choice or bool output (None for other types)."""
    annotation = strip_optional(annotation)
    return (False, True) if annotation is bool else literal_choices(annotation)


def _described(field: Any) -> tuple[Any, ...] | None:
    """Labels listed at the end of a `str` field's description (`described_choices`), or the
    numbers an `int` field's description allows (`described_numbers`)."""
    annotation = strip_optional(field.annotation)
    desc = getattr(field, "desc", "") or ""
    if annotation is str:
        return described_choices(desc)
    return described_numbers(desc) if annotation is int else None


def closed_values(field: Any) -> tuple[Any, ...] | None:
    """The only values a one-line output may take: its choices, or the labels its `str`
    description lists, or the numbers an `int` one's description allows
    (`engine.adapters.replies.described_choices`)."""
    return _choices(field.annotation) or _described(field)


_SCALARS = {str: "string", int: "integer", float: "number", bool: "boolean"}


def field_schema(field: Any) -> dict[str, Any] | None:
    """The JSON schema of one output's value, or None for a type without a plain one (a list,
    a model, a text type: those stay in the text format). `Literal["a", "b"]` ->
    `{"type": "string", "enum": ["a", "b"]}`; an `int` its description closes -> an integer
    enum."""
    annotation = strip_optional(field.annotation)
    if annotation is bool:
        return {"type": "boolean"}
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return {"type": "string", "enum": [format_value(member) for member in annotation]}
    values = closed_values(field)
    if values and all(type(v) is int for v in values):
        return {"type": "integer", "enum": list(values)}
    if values:
        return {"type": "string", "enum": [format_value(v) for v in values]}
    kind = _SCALARS.get(annotation)
    return {"type": kind} if kind else None


def reply_schema(outputs: dict[str, Any]) -> dict[str, Any] | None:
    """The JSON schema of a reply holding `outputs` (name -> field): an object with every
    output required and no other key. None when a structured reply gains nothing (one open
    `str` output) or some output has no plain schema (`field_schema`)."""
    properties = {}
    for name, field in outputs.items():
        schema = field_schema(field)
        if schema is None:
            return None
        properties[name] = schema
    if not properties or list(properties.values()) == [{"type": "string"}]:
        return None
    return {"type": "object", "properties": properties, "required": list(properties),
            "additionalProperties": False}  # fmt: skip


def schema_format(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` as OpenAI's `response_format` (`json_schema`, strict): the form the adapter
    asks for; the LM layer sends it as its endpoint takes it."""
    return {"type": "json_schema",
            "json_schema": {"name": SCHEMA_NAME, "schema": schema, "strict": True}}  # fmt: skip


def structured_kwargs(lm: Any, outputs: dict[str, Any]) -> dict[str, Any]:
    """`response_format` asking `lm` for a reply to the schema of `outputs` when `lm` takes
    one (`supports_response_schema`: a served or hosted model, never the embedded one) and the
    outputs have a schema (`reply_schema`); else nothing. With it, log-probabilities at the
    closed outputs where the provider reports them (`logprob_kwargs`)."""
    if not getattr(lm, "supports_response_schema", False):
        return {}
    schema = reply_schema(outputs)
    kwargs = {"response_format": schema_format(schema)} if schema else {}
    return {**kwargs, **logprob_kwargs(lm, outputs)}


def logprob_kwargs(lm: Any, outputs: dict[str, Any]) -> dict[str, Any]:
    """Log-probabilities asked for at each closed output when `lm`'s provider reports them
    (`supports_logprobs`), with the choices named (`SCORE_CHOICES`): the LM layer turns them
    into the choice scores the embedded model reports, which calibration fits offsets on."""
    if not getattr(lm, "supports_logprobs", False):
        return {}
    closed = {f"[[ ## {name} ## ]]": [format_value(v) for v in values]
              for name, field in outputs.items() if (values := closed_values(field))}  # fmt: skip
    return {"logprobs": True, "top_logprobs": TOP_LOGPROBS, SCORE_CHOICES: closed} if closed else {}
