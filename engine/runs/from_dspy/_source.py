"""A signatures file (.py) read from its syntax tree, never imported, run or evaluated.

Module level may hold a docstring, imports of dspy, typing, pydantic and enum, classes
(`dspy.Signature`, `dspy.Module`, `enum.Enum`, `pydantic.BaseModel`), constants written out,
and an `if __name__ == "__main__":` block (which an import never runs, so it is skipped).
Anything else runs code when imported, and is refused with the line and what was found.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from engine.runs.from_dspy._shapes import FieldShape, ImportProblem, SignatureShape
from engine.runs.from_dspy._types import field_type, plain_name

ALLOWED_IMPORTS = ("dspy", "typing", "typing_extensions", "pydantic", "enum", "__future__")
_FIELD_OPTIONS = ("desc", "prefix")


@dataclass
class SourceFile:
    """What a signatures file declares: its signature classes, enums, and module classes."""

    name: str
    text: str
    aliases: dict[str, str] = field(default_factory=dict)  # local name -> qualified name
    signatures: dict[str, SignatureShape] = field(default_factory=dict)
    enums: dict[str, list[str]] = field(default_factory=dict)
    modules: list[ast.ClassDef] = field(default_factory=list)

    def where(self, node: ast.AST) -> str:
        return f"{self.name} line {getattr(node, 'lineno', '?')}"

    def shown(self, node: ast.AST) -> str:
        """The node's source, first line, short: for a message."""
        text = (ast.get_source_segment(self.text, node) or type(node).__name__).splitlines()[0]
        return text if len(text) <= 60 else text[:57] + "..."

    def qualify(self, node: ast.expr) -> str | None:
        """`d.InputField` with `import dspy as d` -> 'dspy.InputField'."""
        name = plain_name(node)
        if name is None:
            return None
        head, dot, rest = name.partition(".")
        head = self.aliases.get(head, head)
        return head + dot + rest

    def dspy_name(self, node: ast.expr) -> str | None:
        """'Predict' for `dspy.Predict` (or `dspy.predict.Predict`, an imported alias)."""
        name = self.qualify(node)
        return name.rsplit(".", 1)[-1] if name and name.startswith("dspy.") else None

    def refuse(self, node: ast.AST, why: str) -> ImportProblem:
        return ImportProblem(f"{self.where(node)}: `{self.shown(node)}` {why}")


def read_source(text: str, name: str = "the signatures file") -> SourceFile:
    """Read a signatures file; ImportProblem at the first thing it cannot read without running."""
    try:
        tree = ast.parse(text, filename=name)
    except SyntaxError as exc:
        raise ImportProblem(f"{name} line {exc.lineno}: not valid Python ({exc.msg})") from None
    source = SourceFile(name, text)
    for node in tree.body:
        _top_level(source, node)
    return source


def _top_level(source: SourceFile, node: ast.stmt) -> None:
    if isinstance(node, ast.Import | ast.ImportFrom):
        _import(source, node)
    elif isinstance(node, ast.ClassDef):
        _class(source, node)
    elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
        pass  # the docstring (or a stray string)
    elif isinstance(node, ast.Assign | ast.AnnAssign) and _is_constant(node):
        pass
    elif isinstance(node, ast.If) and ast.unparse(node.test) in _MAIN_TESTS:
        pass  # runs only when the file is run as a script, never on import
    else:
        raise source.refuse(
            node,
            "runs code when the file is imported. Tunesmith reads a signatures file without "
            "running it, so it may hold only imports of dspy, typing, pydantic and enum, "
            'classes and constants (move the rest under `if __name__ == "__main__":`)',
        )


_MAIN_TESTS = ("__name__ == '__main__'", "'__main__' == __name__")


def _is_constant(node: ast.Assign | ast.AnnAssign) -> bool:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    if node.value is None or not all(isinstance(t, ast.Name) for t in targets):
        return False
    try:
        ast.literal_eval(node.value)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def _import(source: SourceFile, node: ast.Import | ast.ImportFrom) -> None:
    if isinstance(node, ast.ImportFrom):
        root = (node.module or "").split(".")[0]
        if node.level or root not in ALLOWED_IMPORTS:
            raise _outside_import(source, node, "." * node.level + (node.module or ""))
        for alias in node.names:
            source.aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        return
    for alias in node.names:
        if alias.name.split(".")[0] not in ALLOWED_IMPORTS:
            raise _outside_import(source, node, alias.name)
        if alias.asname:
            source.aliases[alias.asname] = alias.name


def _outside_import(source: SourceFile, node: ast.AST, module: str) -> ImportProblem:
    return source.refuse(
        node,
        f"imports {module}. A signatures file may import only dspy, typing, pydantic and enum: "
        "Tunesmith reads it without running it, and anything else would need running",
    )


def _class(source: SourceFile, node: ast.ClassDef) -> None:
    if node.decorator_list:
        raise source.refuse(node.decorator_list[0], "decorates a class, which runs code")
    bases = [source.qualify(b) or "" for b in node.bases]
    kinds = {b.rsplit(".", 1)[-1] for b in bases if b.startswith(("dspy.", "enum.", "pydantic."))}
    if node.keywords:
        raise source.refuse(node, "passes options to its class, which Tunesmith does not read")
    if "Signature" in kinds:
        source.signatures[node.name] = _signature(source, node)
    elif "Module" in kinds:
        source.modules.append(node)
    elif kinds & {"Enum", "StrEnum"}:
        source.enums[node.name] = _enum_values(source, node)
    elif "BaseModel" not in kinds:
        shown = ", ".join(ast.unparse(b) for b in node.bases) or "nothing"
        raise ImportProblem(
            f"{source.where(node)}: class {node.name} derives from {shown}; Tunesmith reads "
            "classes of dspy.Signature, dspy.Module, enum.Enum and pydantic.BaseModel"
        )


def _enum_values(source: SourceFile, node: ast.ClassDef) -> list[str]:
    values = []
    for item in _body(node):
        if not (isinstance(item, ast.Assign) and isinstance(item.value, ast.Constant)):
            raise source.refuse(item, "is not a member written as NAME = 'text'")
        if not isinstance(item.value.value, str):
            raise source.refuse(item, "is not text; a choice is text")
        values.append(item.value.value)
    return values


def _body(node: ast.ClassDef) -> list[ast.stmt]:
    """The class body without its docstring and `pass`."""
    body = [n for n in node.body if not isinstance(n, ast.Pass)]
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    return body


def _signature(source: SourceFile, node: ast.ClassDef) -> SignatureShape:
    if len(node.bases) != 1:
        raise source.refuse(node, "derives from more than dspy.Signature; write its fields in it")
    fields = []
    for item in _body(node):
        target = item.target if isinstance(item, ast.AnnAssign) else None
        if isinstance(item, ast.Assign) and len(item.targets) == 1:
            target = item.targets[0]
        value = getattr(item, "value", None)
        if not isinstance(target, ast.Name) or not isinstance(value, ast.Call):
            raise source.refuse(item, f"in signature {node.name} is not a field")
        fields.append(_field(source, node.name, target.id, item, value))
    return SignatureShape(node.name, fields, ast.get_docstring(node) or "")


def _field(
    source: SourceFile, signature: str, name: str, item: ast.stmt, call: ast.Call
) -> FieldShape:
    kind = source.dspy_name(call.func)
    if kind not in ("InputField", "OutputField"):
        why = f"in signature {signature} is not a dspy.InputField or OutputField"
        raise source.refuse(item, why)
    options = {k.arg: k.value for k in call.keywords}
    unknown = [k for k in options if k not in _FIELD_OPTIONS]
    if call.args or unknown:
        raise source.refuse(item, "gives a field options other than desc= and prefix=")
    desc = options.get("desc")
    if desc is not None and not (isinstance(desc, ast.Constant) and isinstance(desc.value, str)):
        raise source.refuse(item, "has a desc= that is not text written out")
    where = f"{source.where(item)}: field {name!r} of {signature}"
    annotation = item.annotation if isinstance(item, ast.AnnAssign) else None
    type_, choices = field_type(annotation, source.qualify, source.enums, where)
    role = "input" if kind == "InputField" else "output"
    return FieldShape(name, role, type_, choices, desc.value if desc is not None else "")
