"""Signature strings ("question, context: list[str] -> answer: bool") read into shapes."""

from __future__ import annotations

import ast

from engine.core import split_fields
from engine.runs.from_dspy._shapes import FieldShape, ImportProblem, SignatureShape
from engine.runs.from_dspy._types import field_type, plain_name

# how names inside a signature string read (DSPy's string signatures know these)
_KNOWN = {"Literal": "typing.Literal", "List": "typing.List", "typing.Literal": "typing.Literal",
          "typing.List": "typing.List"}  # fmt: skip


def _qualify(node: ast.expr) -> str | None:
    name = plain_name(node)
    return _KNOWN.get(name, name) if name else None


def _fields(side: str, role: str, where: str) -> list[FieldShape]:
    out = []
    for item in split_fields(side):
        name, _, annotation = (p.strip() for p in item.partition(":"))
        if not name.isidentifier():
            raise ImportProblem(f"{where}: {item.strip()!r} is not a field name")
        node = None
        if annotation:
            try:
                node = ast.parse(annotation, mode="eval").body
            except SyntaxError:
                raise ImportProblem(f"{where}: cannot read the type {annotation!r}") from None
        kind, choices = field_type(node, _qualify, {}, f"{where}, field {name!r}")
        out.append(FieldShape(name, role, kind, choices))
    return out


def read_signature_string(text: str, where: str = "the signature") -> SignatureShape:
    """One signature string as a shape (no instructions: those come from the saved program)."""
    where = f"{where} {text!r}"
    left, arrow, right = text.partition("->")
    if not arrow or "->" in right or not left.strip() or not right.strip():
        raise ImportProblem(f"{where}: write it as 'inputs -> outputs', e.g. 'question -> answer'")
    fields = _fields(left, "input", where) + _fields(right, "output", where)
    return SignatureShape(text.strip(), fields)
