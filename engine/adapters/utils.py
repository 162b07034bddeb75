"""DSPy's `dspy.adapters.utils` path: the field helpers adapters use, over the engine's own
(`engine.core`): a value as prompt text, prompt text back into a typed value, a type's name and
a field's placeholder with its note on the expected form."""

from __future__ import annotations

from typing import Any

import pydantic

from engine.core import cast_value as _cast_value
from engine.core import format_hint, format_value, type_name


def format_field_value(field_info: Any, value: Any) -> str:
    """`value` as the text an adapter puts in a prompt (`field_info` is accepted for DSPy's
    call shape; the engine formats by value)."""
    return format_value(value)


def parse_value(value: Any, annotation: Any) -> Any:
    """`value` (the LM's text, or an already parsed value) as an instance of `annotation`.
    Raises ValueError when it cannot be read as that type."""
    if isinstance(value, str):
        return _cast_value(value, annotation)
    try:
        return pydantic.TypeAdapter(annotation).validate_python(value)
    except pydantic.ValidationError as exc:
        raise ValueError(f"cannot read {type_name(annotation)} from {value!r}: {exc}") from exc


def get_annotation_name(annotation: Any) -> str:
    """A short Python-like name for a type: `str`, `list[int]`, `Optional[str]`."""
    return type_name(annotation)


def translate_field_type(field_name: str, field_info: Any) -> str:
    """The placeholder `{field_name}` an adapter shows for a field, with a note on the form its
    value must take (none for `str`)."""
    hint = format_hint(getattr(field_info, "annotation", str))
    return f"{{{field_name}}}" + (f"        # note: the value you produce {hint}" if hint else "")


__all__ = ["format_field_value", "get_annotation_name", "parse_value", "translate_field_type"]
