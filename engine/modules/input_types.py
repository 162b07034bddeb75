"""Whether an input value fits its field's type, for Predict's type-mismatch warning (DSPy's
`warn_on_type_mismatch`): unions, Literal, list / dict / tuple / set with their item types,
and plain classes (pydantic models, Image, ...). A value that does not fit is still sent."""

from __future__ import annotations

import types
from collections.abc import Iterator
from typing import Any, Literal, Union, get_args, get_origin


def value_fits(value: Any, annotation: Any) -> bool:
    """True when `value` is of the type `annotation` names (a list of str fits `str`, as DSPy
    allows; `Any` and unknown typing forms fit everything)."""
    if annotation is Any:
        return True
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Union or origin is types.UnionType:
        return any(value_fits(value, arg) for arg in args)
    if origin is Literal:
        return value in args
    if origin in (list, set, frozenset):
        return isinstance(value, origin) and (
            not args or all(value_fits(item, args[0]) for item in value)
        )
    if origin is dict:
        return isinstance(value, dict) and (
            not args
            or all(value_fits(k, args[0]) and value_fits(v, args[1]) for k, v in value.items())
        )
    if origin is tuple:
        return isinstance(value, tuple) and _tuple_fits(value, args)
    if annotation is str and isinstance(value, list):
        return all(isinstance(item, str) for item in value)
    if isinstance(annotation, type):
        return isinstance(value, annotation)
    return True


def _tuple_fits(value: tuple, args: tuple) -> bool:
    if not args:
        return True
    if len(args) == 2 and args[1] is Ellipsis:
        return all(value_fits(item, args[0]) for item in value)
    return len(value) == len(args) and all(value_fits(v, a) for v, a in zip(value, args))


def mismatches(fields: dict[str, Any], inputs: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """(name, field) of each input whose value does not fit its type. `str` fields are not
    checked: a field a string signature leaves untyped is a `str` here (DSPy skips those)."""
    for name, field in fields.items():
        annotation = field.annotation
        if annotation is str or name not in inputs or inputs[name] is None:
            continue
        if not value_fits(inputs[name], annotation):
            yield name, field
