"""A field's annotation, read from the syntax tree, as a spec field type (never evaluated)."""

from __future__ import annotations

import ast
from collections.abc import Callable

from engine.runs.from_dspy._shapes import ImportProblem

SIMPLE = {"str": "str", "int": "int", "float": "float", "bool": "bool"}
LISTS = ("list", "typing.List")
LITERALS = ("typing.Literal", "typing_extensions.Literal")
TYPES_WORDS = "str, int, float, bool, list[str] or a Literal of text choices"

Qualify = Callable[[ast.expr], str | None]


def plain_name(node: ast.expr) -> str | None:
    """`x` or `a.b.c` as written, else None."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = plain_name(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def field_type(
    node: ast.expr | None, qualify: Qualify, enums: dict[str, list[str]], where: str
) -> tuple[str, list[str]]:
    """(spec type, choices) of an annotation; ImportProblem naming `where` when it has none."""
    if node is None:
        return "str", []
    name = qualify(node)
    if name in SIMPLE:
        return SIMPLE[name], []
    if name in enums:
        return "literal", enums[name]
    if isinstance(node, ast.Subscript):
        outer = qualify(node.value)
        if outer in LISTS and qualify(node.slice) == "str":
            return "list[str]", []
        if outer in LITERALS:
            return "literal", _choices(node.slice, where)
    shown = ast.unparse(node)
    raise ImportProblem(f"{where} has the type `{shown}`; a Tunesmith field is {TYPES_WORDS}")


def _choices(node: ast.expr, where: str) -> list[str]:
    items = node.elts if isinstance(node, ast.Tuple) else [node]
    values = [i.value for i in items if isinstance(i, ast.Constant)]
    if len(values) != len(items) or not all(isinstance(v, str) for v in values):
        raise ImportProblem(
            f"{where}: the choices `{ast.unparse(node)}` must all be text written out, "
            "e.g. Literal['billing', 'technical']"
        )
    return [str(v) for v in values]
