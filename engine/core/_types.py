"""Field types: how they are named in prompts, described to the LM, and cast from LM text."""

from __future__ import annotations

import ast
import datetime
import enum
import functools
import json
import math
import pathlib
import re
import types
import typing
from collections.abc import Callable
from typing import Any, Literal, Union, get_args, get_origin

import pydantic

from engine.core._audio import Audio
from engine.core._field_types import File, Image

SUPPORTED_SCALARS = (str, int, float, bool)
# written as text and read back by pydantic (ISO dates, paths), as DSPy does
TEXT_TYPES = (datetime.datetime, datetime.date, datetime.time, pathlib.PurePath)


def is_enum(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, enum.Enum)


def _is_text_type(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, TEXT_TYPES)


def _reads_text(annotation: Any) -> bool:
    """A custom type the LM writes as plain text (`engine.core._custom_types`: Reasoning, Code)."""
    return isinstance(annotation, type) and getattr(annotation, "reads_text", False) is True


def _formats_itself(annotation: Any) -> bool:
    """A class with DSPy's `format()` method (`dspy.Tool`): shown in prompts by its text."""
    return isinstance(annotation, type) and callable(getattr(annotation, "format", None))


def _per_annotation(fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """`fn(annotation)` worked out once per annotation object (every call asks it again).
    Keyed by identity, not equality: `Union[int, str] == Union[str, int]`, but their names in
    a prompt differ."""
    known: dict[int, tuple[Any, Any]] = {}

    @functools.wraps(fn)
    def once(annotation: Any) -> Any:
        hit = known.get(id(annotation))
        if hit is not None and hit[0] is annotation:
            return hit[1]
        result = fn(annotation)
        if len(known) >= 4096:  # annotations made on the fly: start again, never grow unbounded
            known.clear()
        known[id(annotation)] = (annotation, result)  # the annotation kept: its id stays its own
        return result

    return once


@_per_annotation
def is_optional(annotation: Any) -> bool:
    return _is_union(annotation) and type(None) in get_args(annotation)


def _is_union(annotation: Any) -> bool:
    return get_origin(annotation) in (Union, types.UnionType)


@_per_annotation
def strip_optional(annotation: Any) -> Any:
    if is_optional(annotation):
        rest = [a for a in get_args(annotation) if a is not type(None)]
        return rest[0] if len(rest) == 1 else Union[tuple(rest)]  # type: ignore[return-value]  # noqa: UP007
    return annotation


@_per_annotation
def literal_choices(annotation: Any) -> tuple[Any, ...] | None:
    annotation = strip_optional(annotation)
    if get_origin(annotation) is Literal:
        return get_args(annotation)
    return None


def check_supported(annotation: Any) -> str | None:
    """Return a reason if the annotation is not a type the engine can render and cast."""
    annotation = strip_optional(annotation)
    if annotation in SUPPORTED_SCALARS or annotation is typing.Any:
        return None
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        return None
    if is_enum(annotation) or _is_text_type(annotation) or _formats_itself(annotation):
        return None
    origin = get_origin(annotation)
    if origin is Literal:
        return None
    if origin in (list, dict, tuple, Union, types.UnionType):
        for arg in get_args(annotation):
            if arg is Ellipsis or arg is type(None):
                continue
            reason = check_supported(arg)
            if reason:
                return reason
        return None
    if annotation in (list, dict, tuple):
        return None
    return f"unsupported type {type_name(annotation)!r}"


def type_name(annotation: Any) -> str:
    """A short Python-like name: str, list[str], Literal['a', 'b'], Optional[int]."""
    if annotation is None or annotation is type(None):
        return "None"
    if annotation is Ellipsis:  # tuple[int, ...]
        return "..."
    if is_optional(annotation):
        return f"Optional[{type_name(strip_optional(annotation))}]"
    origin = get_origin(annotation)
    if origin is Literal:
        return "Literal[" + ", ".join(repr(a) for a in get_args(annotation)) + "]"
    if origin is not None:
        name = getattr(origin, "__name__", str(origin))
        if origin in (Union, types.UnionType):
            name = "Union"
        return f"{name}[" + ", ".join(type_name(a) for a in get_args(annotation)) + "]"
    if isinstance(annotation, type):
        return annotation.__name__
    return str(annotation)


def format_hint(annotation: Any) -> str:
    """The note shown to the LM about the expected form of an output value ('' for str)."""
    annotation = strip_optional(annotation)
    choices = literal_choices(annotation)
    if choices is not None:
        return "must be exactly one of: " + "; ".join(str(c) for c in choices)
    if annotation is str or annotation is typing.Any:
        return ""
    if _reads_text(annotation):  # a text type: its own note, if any
        return annotation.description()
    if annotation is int:
        return "must be a single int value"
    if annotation is float:
        return "must be a single float value"
    if annotation is bool:
        return "must be True or False"
    if is_enum(annotation):
        return "must be one of: " + "; ".join(str(member.value) for member in annotation)
    try:
        schema = pydantic.TypeAdapter(annotation).json_schema()
    except Exception:
        schema = None
    if schema is not None:
        hint = "must be valid JSON matching this schema: " + json.dumps(
            schema, separators=(",", ":")
        )
        return hint + _type_description(annotation)
    return f"must be a {type_name(annotation)} value"


def _type_description(annotation: Any) -> str:
    """A custom type's own note on its form (`ToolCalls.description()`, a `dspy.Type`'s), as
    ". Type description of Name: ...", or ''."""
    describe = getattr(annotation, "description", None)
    if not isinstance(annotation, type) or not callable(describe):
        return ""
    try:
        text = describe()
    except TypeError:  # an instance method or a field named `description`
        return ""
    if not isinstance(text, str) or not text:
        return ""
    return f". Type description of {annotation.__name__}: {text}"


def format_value(value: Any) -> str:
    """Render an input/demo value for a prompt."""
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, str):
        return value
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, pathlib.PurePath):
        return str(value)
    shown = _own_text(value)
    if shown is not None:
        return shown
    if isinstance(value, pydantic.BaseModel):
        return value.model_dump_json()
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "\n".join(f"[{i + 1}] {v}" for i, v in enumerate(value)) if value else "[]"
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except TypeError:
        return str(value)


def _own_text(value: Any) -> str | None:
    """The text of a value that formats itself: a Tool (`format()` gives text), an Image or a
    File (their DSPy text form, the repr), ToolCalls (its JSON)."""
    if isinstance(value, (Image, File)):
        return repr(value)
    if isinstance(value, Audio):  # sent as its content part (`Adapter.request`)
        return value.placeholder()
    method = getattr(value, "format", None)
    if isinstance(value, type) or not callable(method):
        return None
    try:
        shown = method()
    except TypeError:
        return None
    if isinstance(shown, str):
        return shown
    if isinstance(shown, (dict, list)):
        return json.dumps(shown, ensure_ascii=False, default=str)
    return None


OFF_LIST = "is not one of"  # how a choice reply outside its values is told (`is_off_list`)


def is_off_list(error: Any) -> bool:
    """Whether a row's stored error is a choice answered outside its allowed values."""
    return isinstance(error, str) and f" {OFF_LIST} [" in error


class CastError(ValueError):
    """A text value could not be converted to the field's type."""


def cast_value(text: str, annotation: Any) -> Any:
    """Convert the LM's text for one field into the field's type, leniently."""
    text = text.strip()
    if is_optional(annotation) and text.lower() in ("", "none", "null", "n/a"):
        return None
    annotation = strip_optional(annotation)
    if annotation is str or annotation is typing.Any:
        return text
    if _reads_text(annotation):  # dspy.Reasoning, dspy.Code: the text itself
        return annotation.from_text(text)
    choices = literal_choices(annotation)
    if choices is not None:
        return match_literal(text, choices)
    if annotation is bool:
        return _cast_bool(text)
    if annotation in (int, float):
        return _cast_number(text, annotation)
    if is_enum(annotation):
        return match_enum(text, annotation)
    if _is_text_type(annotation):
        return _cast_text_type(text, annotation)
    if _is_union(annotation):
        return _cast_union(text, annotation)
    return _cast_structured(text, annotation)


def _cast_union(text: str, annotation: Any) -> Any:
    """A union's value: as JSON for the whole union, else the first member that reads the text
    (so `int | str` reads "42" as 42 and "processed" as the text)."""
    try:
        return _cast_structured(text, annotation)
    except CastError as exc:
        failure = exc
    for member in get_args(annotation):
        if member is type(None):
            continue
        try:
            return cast_value(text, member)
        except (CastError, ValueError):
            continue
    raise failure


def match_enum(text: str, kind: type[enum.Enum]) -> enum.Enum:
    """The member whose value, else whose name, the text names (leniently, as for Literal)."""
    for member in kind:
        if text == str(member.value):
            return member
    if text in kind.__members__:
        return kind[text]
    by_value = {str(m.value): m for m in kind}
    try:
        return by_value[match_literal(text, tuple(by_value))]
    except CastError:
        pass
    try:
        return kind[match_literal(text, tuple(kind.__members__))]
    except CastError:
        raise CastError(
            f"{text!r} is not one of {[str(m.value) for m in kind]} ({kind.__name__})"
        ) from None


def _cast_text_type(text: str, annotation: Any) -> Any:
    """A date, time or path written as text (optionally quoted or fenced)."""
    candidate = _strip_code_fence(text).strip().strip("\"'`")
    try:
        return pydantic.TypeAdapter(annotation).validate_python(candidate)
    except pydantic.ValidationError as exc:
        detail = str(exc).splitlines()[-1].strip()
        raise CastError(
            f"cannot read {type_name(annotation)} from {text[:80]!r}: {detail}"
        ) from None


def _clean(text: str) -> str:
    return re.sub(r"[\s`'\"*_.:;!]+", " ", text).strip().lower()


def match_literal(text: str, choices: tuple[Any, ...]) -> Any:
    """Lenient Literal matching: exact, case/quote/punctuation-insensitive, then unique mention."""
    for choice in choices:
        if text == str(choice):
            return choice
    cleaned = _clean(text)
    for choice in choices:
        if cleaned == _clean(str(choice)):
            return choice
    first_line = _clean(text.splitlines()[0]) if text else ""
    for choice in choices:
        if first_line == _clean(str(choice)):
            return choice
    normalized = cleaned.replace(" ", "_")
    mentioned = [c for c in choices if _clean(str(c)).replace(" ", "_") in normalized]
    if len(mentioned) == 1:  # several mentioned means the model listed choices: no answer
        return mentioned[0]
    raise CastError(f"{text!r} {OFF_LIST} {list(choices)}")


def _cast_bool(text: str) -> bool:
    word = _clean(text).split(" ")[0] if text else ""
    if word in ("true", "yes", "y", "1"):
        return True
    if word in ("false", "no", "n", "0"):
        return False
    raise CastError(f"{text!r} is not True or False")


_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?(?:[eE][-+]?\d+)?|-?\.\d+")


def _cast_number(text: str, kind: type) -> int | float:
    match = _NUMBER.search(text)
    if not match:
        raise CastError(f"{text!r} contains no number")
    number = float(match.group(0).replace(",", ""))
    if kind is int:
        if not math.isfinite(number):
            raise CastError(f"{text!r} is too large for a whole number")
        if number != int(number):
            raise CastError(f"{text!r} is not a whole number")
        return int(number)
    return number


def _cast_structured(text: str, annotation: Any) -> Any:
    candidate = _strip_code_fence(text)
    adapter = pydantic.TypeAdapter(annotation)
    errors = []
    for attempt in (candidate, _outermost_json(candidate)):
        if not attempt:
            continue
        try:
            return adapter.validate_json(attempt)
        except pydantic.ValidationError as exc:
            errors.append(exc)
        try:
            return adapter.validate_python(ast.literal_eval(attempt))
        except (ValueError, SyntaxError, pydantic.ValidationError, TypeError, MemoryError):
            pass
    if get_origin(annotation) is list and "\n" in candidate:
        items = [
            re.sub(r"^\s*(?:[-*•]|\[\d+\]|\d+[.)])\s*", "", ln) for ln in candidate.splitlines()
        ]
        try:
            return adapter.validate_python([i for i in items if i.strip()])
        except pydantic.ValidationError as exc:
            errors.append(exc)
    detail = str(errors[-1]).splitlines()[0] if errors else "not valid JSON"
    raise CastError(f"cannot read {type_name(annotation)} from {text[:80]!r}: {detail}")


def _strip_code_fence(text: str) -> str:
    fenced = re.match(r"^```[a-zA-Z]*\s*\n?(.*?)\n?```$", text.strip(), re.S)
    return fenced.group(1).strip() if fenced else text.strip()


def _outermost_json(text: str) -> str:
    starts = [i for i in (text.find("{"), text.find("[")) if i >= 0]
    if not starts:
        return ""
    start = min(starts)
    end = max(text.rfind("}"), text.rfind("]"))
    return text[start : end + 1] if end > start else ""
