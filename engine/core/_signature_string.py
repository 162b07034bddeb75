"""Parse the string form of a signature: "question, context: list[str] -> answer: float"."""

from __future__ import annotations

import ast
import builtins
import sys
import typing
from typing import Any, Literal, Optional, Union

from engine.core._errors import SignatureError

_ALLOWED_TYPES: dict[str, Any] = {
    "str": str,
    "int": int,
    "float": float,
    "bool": bool,
    "list": list,
    "dict": dict,
    "tuple": tuple,
    "List": list,
    "Dict": dict,
    "Tuple": tuple,
    "Optional": Optional,
    "Union": Union,
    "Literal": Literal,
    "Any": typing.Any,
}


_MAX_FRAMES = 100  # as DSPy: how far up the call stack a type name is looked for


def names_from_callers(text: str) -> dict[str, Any]:
    """The type names of a signature string that no default covers (`MyModel`, the `dspy` of
    `dspy.Image`), found in the calling code's locals or globals, nearest frame first, as
    DSPy's `Signature("q -> a: MyModel")` finds them. Frames inside the engine are skipped."""
    needed = _unknown_names(text)
    found: dict[str, Any] = {}
    frame = sys._getframe(1)
    depth = 0
    while frame is not None and needed and depth < _MAX_FRAMES:
        module = frame.f_globals.get("__name__", "")
        if module != "engine" and not module.startswith("engine."):
            depth += 1
            for name in list(needed):
                scope = frame.f_locals if name in frame.f_locals else frame.f_globals
                if name in scope:
                    found[name] = scope[name]
                    needed.discard(name)
        frame = frame.f_back
    return found


def _unknown_names(text: str) -> set[str]:
    """Names used in the type expressions of `text` that are not default type names."""
    if not isinstance(text, str) or text.count("->") != 1:
        return set()
    names: set[str] = set()
    for side in text.split("->"):
        for part in split_fields(side):
            type_text = part.partition(":")[2].strip()
            try:
                tree = ast.parse(type_text, mode="eval") if type_text else None
            except SyntaxError:
                continue
            for node in ast.walk(tree) if tree else ():
                if isinstance(node, ast.Name):
                    names.add(node.id)
    return {n for n in names if n not in _ALLOWED_TYPES and not hasattr(builtins, n)}


def parse_signature_string(
    text: str, custom_types: dict[str, Any] | None = None
) -> tuple[list[tuple[str, Any]], list[tuple[str, Any]]]:
    """Split "a, b: int -> c: list[str]" into ([("a", str), ("b", int)], [("c", list[str])])."""
    if not isinstance(text, str):
        raise SignatureError(f"a signature string was expected, got {type(text).__name__}")
    if text.count("->") != 1:
        raise SignatureError(
            f"malformed signature {text!r}: it needs exactly one '->' between inputs and outputs, "
            "e.g. 'question, context -> answer: float'"
        )
    left, right = text.split("->")
    inputs = _parse_side(left, text, "input", custom_types or {})
    outputs = _parse_side(right, text, "output", custom_types or {})
    if not outputs:
        raise SignatureError(f"malformed signature {text!r}: no output field after '->'")
    return inputs, outputs


def split_fields(side: str) -> list[str]:
    """Split on commas that are not inside brackets (list[str], dict[str, int], Literal[...])."""
    parts, depth, current, quote = [], 0, [], ""
    for ch in side:
        if quote:
            current.append(ch)
            if ch == quote:
                quote = ""
            continue
        if ch in "'\"":
            quote = ch
        elif ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def _parse_side(side: str, whole: str, role: str, custom: dict[str, Any]) -> list[tuple[str, Any]]:
    fields: list[tuple[str, Any]] = []
    for part in split_fields(side):
        name, _, type_text = part.partition(":")
        name = name.strip()
        if not name.isidentifier():
            raise SignatureError(
                f"malformed signature {whole!r}: {role} field name {name!r} is not a valid "
                "identifier (letters, digits and underscores, not starting with a digit)"
            )
        annotation = parse_type(type_text.strip(), custom) if type_text.strip() else str
        fields.append((name, annotation))
    return fields


def parse_type(type_text: str, custom: dict[str, Any] | None = None) -> Any:
    """Resolve a type expression like "list[dict[str, int]]" without eval()."""
    namespace = {**_ALLOWED_TYPES, **(custom or {})}
    try:
        node = ast.parse(type_text, mode="eval").body
    except SyntaxError:
        raise SignatureError(f"cannot parse type {type_text!r}") from None
    return _resolve(node, namespace, type_text)


def _resolve(node: ast.AST, namespace: dict[str, Any], whole: str) -> Any:
    if isinstance(node, ast.Name):
        if node.id not in namespace:
            raise SignatureError(
                f"unsupported type {node.id!r} in {whole!r}; supported: str, int, float, bool, "
                "list[...], dict[...], Optional[...], Literal[...], or pass custom_types={...}"
            )
        return namespace[node.id]
    if isinstance(node, ast.Attribute):
        base = _resolve(node.value, namespace, whole)
        try:
            return getattr(base, node.attr)
        except AttributeError:
            raise SignatureError(f"unknown type {ast.unparse(node)!r} in {whole!r}") from None
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Tuple):
        return tuple(_resolve(elt, namespace, whole) for elt in node.elts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return Union[_resolve(node.left, namespace, whole), _resolve(node.right, namespace, whole)]  # noqa: UP007
    if isinstance(node, ast.Subscript):
        base = _resolve(node.value, namespace, whole)
        arg = _resolve(node.slice, namespace, whole)
        if base is Literal:
            return Literal[arg if isinstance(arg, tuple) else (arg,)]  # type: ignore[valid-type]
        try:
            return base[arg]
        except TypeError as exc:
            raise SignatureError(f"invalid type {whole!r}: {exc}") from None
    raise SignatureError(f"unsupported type expression {whole!r}")
