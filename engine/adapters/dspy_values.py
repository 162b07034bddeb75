"""How DSPy's prompt layout writes values (`engine.adapters.dspy_layout`): lists for a `str`
field as numbered blobs, JSON for dicts, lists and models, and Image, File, Document or custom
`Type` values as content parts (a token in the text while the request is written, then split
into the message's parts by `expand`)."""

from __future__ import annotations

import contextvars
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pydantic

from engine.core import File, Image, Type


def _blob(text: Any) -> str:
    text = str(text)
    if "\n" not in text and "«" not in text and "»" not in text:
        return f"«{text}»"
    return "«««\n    " + text.replace("\n", "\n    ") + "\n»»»"


# content parts (an Image's image_url, a File's file part) met while writing one request:
# token -> parts; each token in a message's text becomes its parts (`expand`)
_PARTS: contextvars.ContextVar[dict[str, list[dict[str, Any]]] | None] = contextvars.ContextVar(
    "tunesmith_dspy_layout_parts", default=None
)


def _own_parts(value: Any) -> list[dict[str, Any]] | None:
    """The content parts a value is sent as: an Image's or File's, a Document's, or a custom
    `Type` whose `format()` gives a list of parts; None for a value sent as text."""
    if isinstance(value, Image | File):
        return value.format()
    if callable(getattr(value, "content_parts", None)):
        return value.content_parts()
    if isinstance(value, Type) and not type(value).reads_text:
        shown = value.format()
        if isinstance(shown, list) and all(isinstance(p, dict) for p in shown):
            return shown
    return None


def jsonable(value: Any) -> Any:
    parts = _PARTS.get()
    own = _own_parts(value) if parts is not None else None
    if own is not None and parts is not None:
        token = f"<<part-{uuid.uuid4().hex}>>"
        parts[token] = own
        return token
    if hasattr(value, "format") and not isinstance(value, pydantic.BaseModel | str | type):
        shown = value.format()  # a Tool: its own text
        if isinstance(shown, str):
            return shown
    if isinstance(value, pydantic.BaseModel):
        if parts is not None and _holds_parts(value):  # nested images: field by field
            return {name: jsonable(getattr(value, name)) for name in type(value).model_fields}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    try:
        return pydantic.TypeAdapter(type(value)).dump_python(value, mode="json", fallback=str)
    except Exception:  # noqa: BLE001 - any value: its text
        return str(value)


def _holds_parts(value: Any) -> bool:
    if _own_parts(value) is not None:
        return True
    if isinstance(value, pydantic.BaseModel):
        return any(_holds_parts(getattr(value, n)) for n in type(value).model_fields)
    if isinstance(value, list | tuple):
        return any(_holds_parts(v) for v in value)
    if isinstance(value, dict):
        return any(_holds_parts(v) for v in value.values())
    return False


def expand(message: dict[str, Any], parts: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """A message whose text holds part tokens, as a list of text and content parts."""
    text = message.get("content")
    if not isinstance(text, str) or not any(token in text for token in parts):
        return message
    pieces: list[dict[str, Any]] = []
    rest = text
    while True:
        found = [(rest.find(t), t) for t in parts if t in rest]
        if not found:
            break
        at, token = min(found)
        before = rest[:at]
        if before.endswith('"') and rest[at + len(token) :].startswith('"'):  # inside JSON
            before = before[:-1]
            rest = rest[:at] + rest[at + len(token) + 1 :]
        else:
            rest = rest[:at] + rest[at + len(token) :]
        if before:
            pieces.append({"type": "text", "text": before})
        pieces.extend(parts[token])
        rest = rest[at:]
    if rest:
        pieces.append({"type": "text", "text": rest})
    return {**message, "content": pieces}


def value_text(field: Any, value: Any) -> str:
    """A value as DSPy writes it in a prompt: a list for a `str` field as numbered «blobs»,
    JSON for dicts and lists, else its text."""
    if isinstance(value, list) and field.annotation is str:
        if not value:
            return "N/A"
        if len(value) == 1:
            return _blob(value[0])
        return "\n".join(f"[{i + 1}] {_blob(v)}" for i, v in enumerate(value))
    shown = jsonable(value)
    if isinstance(shown, dict | list):
        return json.dumps(shown, ensure_ascii=False)
    return str(shown)


def sections(fields: dict[str, Any], values: dict[str, Any]) -> str:
    return "\n\n".join(
        f"[[ ## {name} ## ]]\n{value_text(field, values[name])}"
        for name, field in fields.items()
        if name in values
    ).strip()




@contextmanager
def collecting_parts() -> Iterator[dict[str, list[dict[str, Any]]]]:
    """Inside: values with content parts are written as tokens; yields token -> parts."""
    parts: dict[str, list[dict[str, Any]]] = {}
    token = _PARTS.set(parts)
    try:
        yield parts
    finally:
        _PARTS.reset(token)
