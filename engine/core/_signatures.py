"""Signatures: the typed input/output contract of a module, plus its instructions.

Two forms, as in DSPy:

    class QA(Signature):
        '''Answer the question in one sentence.'''
        question: str = InputField()
        answer: str = OutputField(desc="a short answer")

    Signature("question, context: list[str] -> answer: float", "Answer from the context.")

Signatures are classes and immutable: edits return new signature classes.
"""

from __future__ import annotations

import re
import sys
import typing
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from pydantic_core import PydanticUndefined

from engine.core._errors import FieldDeclarationError, MissingInputError, SignatureError
from engine.core._signature_string import names_from_callers, parse_signature_string
from engine.core._types import check_supported, type_name

RESERVED_NAMES = frozenset(
    {
        "instructions", "fields", "input_fields", "output_fields", "signature", "completed",
        "with_instructions", "with_updated_fields", "append", "prepend", "insert", "delete",
        "equals", "dump_state", "load_state", "model_config", "demos", "append_instructions",
    }
)  # fmt: skip


@dataclass(frozen=True)
class FieldInfo:
    """What InputField()/OutputField() return: the role and the optional description."""

    role: str
    desc: str = ""
    prefix: str | None = None
    format: Any = None
    extra: tuple[tuple[str, Any], ...] = ()
    default: Any = PydanticUndefined

    @property
    def json_schema_extra(self) -> dict[str, Any]:
        """DSPy's view of the field's options: role, desc and prefix if given, other extras."""
        found = {"__dspy_field_type": self.role, **dict(self.extra)}
        if self.desc:
            found["desc"] = self.desc
        if self.prefix is not None:
            found["prefix"] = self.prefix
        return found


@dataclass(frozen=True)
class Field:
    """One resolved field of a signature. `default`: the value an absent input or output takes
    (`PydanticUndefined`, as in pydantic and DSPy, when there is none)."""

    name: str
    role: str  # "input" or "output"
    annotation: Any = str
    desc: str = ""
    prefix: str = ""
    extra: tuple[tuple[str, Any], ...] = ()
    default: Any = PydanticUndefined

    @property
    def type_name(self) -> str:
        return type_name(self.annotation)

    @property
    def json_schema_extra(self) -> dict[str, Any]:
        """DSPy's `field.json_schema_extra`: {"__dspy_field_type", "prefix", "desc", extras}."""
        return {
            **dict(self.extra),
            "__dspy_field_type": self.role,
            "prefix": self.prefix,
            "desc": self.desc or f"${{{self.name}}}",
        }

    @property
    def description(self) -> str:
        return self.desc

    def is_required(self) -> bool:
        """False when the field has a default (pydantic's and DSPy's meaning)."""
        return self.default is PydanticUndefined

    def get_default(self, call_default_factory: bool = True) -> Any:
        """The default value, or None when there is none (pydantic's `FieldInfo.get_default`);
        a `default_factory=` is called for a fresh value each time."""
        if self.default is PydanticUndefined:
            return None
        if isinstance(self.default, DefaultFactory):
            return self.default.factory() if call_default_factory else None
        return self.default


@dataclass(frozen=True)
class DefaultFactory:
    """A field's `default_factory=` (pydantic's spelling): called for each absent value."""

    factory: Any


def _field_info(role: str, desc: str, prefix: str | None, format: Any, extra: dict) -> FieldInfo:
    default = extra.pop("default", PydanticUndefined)
    factory = extra.pop("default_factory", None)
    if factory is not None:
        if default is not PydanticUndefined:
            raise SignatureError("a field takes default= or default_factory=, not both")
        if not callable(factory):
            raise SignatureError(f"default_factory must be callable, got {factory!r}")
        default = DefaultFactory(factory)
    if not desc and isinstance(extra.get("description"), str):
        desc = extra.pop("description")  # pydantic's spelling, as DSPy accepts it
    if not isinstance(desc, str):
        raise SignatureError(f"a field's desc must be a string, got {type(desc).__name__}")
    constraints = ", ".join(
        f"{words}: {extra[key]}" for key, words in _CONSTRAINT_WORDS.items() if key in extra
    )
    if constraints:  # DSPy's `json_schema_extra["constraints"]`: pydantic's bounds, in words
        extra["constraints"] = constraints
    return FieldInfo(role, desc, prefix, format, tuple(sorted(extra.items())), default)


_CONSTRAINT_WORDS = {
    "gt": "greater than", "ge": "greater than or equal to", "lt": "less than",
    "le": "less than or equal to", "min_length": "minimum length", "max_length": "maximum length",
    "multiple_of": "a multiple of the given number", "pattern": "matching the pattern",
}  # fmt: skip


def InputField(  # noqa: N802
    desc: str = "", *, prefix: str | None = None, format: Any = None, **extra: Any
) -> Any:
    """Declare an input field (use as a class attribute value in a Signature);
    `default=` fills the input when a call leaves it out."""
    return _field_info("input", desc or "", prefix, format, extra)


def OutputField(  # noqa: N802
    desc: str = "", *, prefix: str | None = None, format: Any = None, **extra: Any
) -> Any:
    """Declare an output field (use as a class attribute value in a Signature);
    `default=` is its value when a reply leaves it out."""
    return _field_info("output", desc or "", prefix, format, extra)


def _new_field(name: str, info: FieldInfo, annotation: Any) -> Field:
    """The signature field declared by `info` under `name`."""
    prefix = info.prefix or infer_prefix(name) + ":"
    return Field(name, info.role, annotation, info.desc, prefix, info.extra, info.default)


def infer_prefix(attribute_name: str) -> str:
    """A field name as words, as DSPy writes it: 'camelCaseText' -> 'Camel Case Text',
    'snake_case' -> 'Snake Case', 'text2number' -> 'Text 2 Number', 'HTMLParser' -> 'HTML
    Parser'. A field's prompt prefix is this plus ':'."""
    spaced = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", attribute_name)
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", spaced)
    spaced = re.sub(r"([a-zA-Z])(\d)", r"\1_\2", spaced)
    spaced = re.sub(r"(\d)([a-zA-Z])", r"\1_\2", spaced)
    words = [w for w in spaced.split("_") if w]
    return " ".join(w if w.isupper() else w.capitalize() for w in words)


def default_instructions(fields: Iterable[Field]) -> str:
    fields = list(fields)
    ins = ", ".join(f"`{f.name}`" for f in fields if f.role == "input")
    outs = ", ".join(f"`{f.name}`" for f in fields if f.role == "output")
    return f"Given the fields {ins}, produce the fields {outs}."


def _validate_field(field: Field, owner: str) -> None:
    if not field.name.isidentifier():
        raise SignatureError(f"{owner}: field name {field.name!r} is not a valid identifier")
    if field.name in RESERVED_NAMES or field.name.startswith("_"):
        raise SignatureError(
            f"{owner}: field name {field.name!r} is reserved; choose another name "
            f"(reserved: {', '.join(sorted(RESERVED_NAMES))}, and names starting with '_')"
        )
    reason = check_supported(field.annotation)
    if reason:
        raise SignatureError(f"{owner}: field {field.name!r} has an {reason}")


class SignatureMeta(type):
    """Builds the field table of a Signature class and makes `Signature("a -> b")` work."""

    def __new__(mcs, name: str, bases: tuple[type, ...], namespace: dict[str, Any], **kw: Any):
        annotations = namespace.get("__annotations__", {})
        declared = {k: v for k, v in namespace.items() if isinstance(v, FieldInfo)}
        # fields in the order the class body defines them, annotated or not
        order = [k for k in namespace if k in declared]
        order += [k for k in annotations if k not in declared]
        for key in declared:
            namespace.pop(key)
        cls = super().__new__(mcs, name, bases, namespace, **kw)
        if namespace.get("_is_base", False):
            cls._fields = {}
            cls._instructions = ""
            return cls
        fields: dict[str, Field] = {}
        for base in reversed(cls.__mro__[1:]):
            fields.update(getattr(base, "_fields", {}))
        hints = _resolve_hints(cls, annotations)
        for field_name in order:
            info = declared.get(field_name)
            if info is None:
                if field_name.startswith("_") or field_name in RESERVED_NAMES:
                    continue
                raise FieldDeclarationError(
                    f"{name}: field {field_name!r} needs a value of InputField() or OutputField()"
                )
            fields[field_name] = _new_field(field_name, info, hints.get(field_name, str))
        for f in fields.values():
            _validate_field(f, name)
        cls._fields = fields
        doc = (namespace.get("__doc__") or "").strip()
        inherited = next(
            (b._instructions for b in cls.__mro__[1:] if getattr(b, "_instructions", "")), ""
        )
        cls._instructions = doc or inherited or default_instructions(fields.values())
        return cls

    def __call__(cls, *args: Any, **kwargs: Any):
        if getattr(cls, "_is_base_exact", None) is cls:
            return make_signature(*args, **kwargs)
        unknown = [k for k in kwargs if k not in cls._fields]
        if args or unknown:
            raise TypeError(
                f"{cls.__name__}(...) takes its fields' values by name ({', '.join(cls._fields)})"
                + (f"; unknown: {', '.join(unknown)}" if unknown else "")
            )
        instance = super().__call__()  # a record of field values, as DSPy's pydantic instance
        for name, value in kwargs.items():
            setattr(instance, name, value)
        return instance

    # Class-level read-only views ---------------------------------------------------------
    @property
    def fields(cls) -> dict[str, Field]:
        return dict(cls._fields)

    @property
    def input_fields(cls) -> dict[str, Field]:
        return dict(cls._by_role()[1])

    @property
    def output_fields(cls) -> dict[str, Field]:
        return dict(cls._by_role()[2])

    def _by_role(cls) -> tuple[dict[str, Field], dict[str, Field], dict[str, Field]]:
        """(fields, inputs, outputs), split once per field table: `_fields` is replaced, never
        edited in place, and a call reads the split many times."""
        fields = cls._fields
        kept = cls.__dict__.get("_roles")
        if kept is None or kept[0] is not fields:
            inputs = {k: f for k, f in fields.items() if f.role == "input"}
            outputs = {k: f for k, f in fields.items() if f.role == "output"}
            kept = (fields, inputs, outputs)
            cls._roles = kept
        return kept

    @property
    def instructions(cls) -> str:
        return cls._instructions

    @instructions.setter
    def instructions(cls, instructions: str) -> None:
        """DSPy lets `Sig.instructions = "..."` replace a signature's instructions in place."""
        if not isinstance(instructions, str):
            raise SignatureError(
                f"instructions must be a string, not {type(instructions).__name__}"
            )
        cls._instructions = instructions

    @property
    def signature(cls) -> str:
        ins = ", ".join(cls.input_fields)
        outs = ", ".join(cls.output_fields)
        return f"{ins} -> {outs}"

    def __repr__(cls) -> str:
        parts = [f"{f.name}: {f.type_name}" for f in cls._fields.values()]
        return f"{cls.__name__}({', '.join(parts)}; instructions={cls.instructions!r})"


def _resolve_hints(cls: type, annotations: dict[str, Any]) -> dict[str, Any]:
    """Evaluate this class's own string annotations (`from __future__ import annotations`)."""
    if not any(isinstance(v, str) for v in annotations.values()):
        return dict(annotations)

    module = sys.modules.get(cls.__module__)
    namespace: dict[str, Any] = {"Literal": typing.Literal, "Optional": typing.Optional}
    namespace.update(vars(module) if module else {})
    frame = sys._getframe(2)  # the frame running the `class ...:` statement
    while frame is not None and frame.f_globals.get("__name__") == __name__:
        frame = frame.f_back
    if frame is not None:
        namespace.update(frame.f_locals)
    hints = {}
    for name, value in annotations.items():
        if not isinstance(value, str):
            hints[name] = value
            continue
        try:
            hints[name] = eval(value, namespace)  # noqa: S307 - a class annotation the developer wrote
        except Exception as exc:
            raise SignatureError(
                f"{cls.__name__}: cannot resolve the type of {name!r} ({value!r}): {exc}"
            ) from None
    return hints


class Signature(metaclass=SignatureMeta):
    """Base class of signatures. `Signature("a, b -> c")` builds one from a string."""

    _is_base = True
    _fields: dict[str, Field]
    _instructions: str

    @classmethod
    def with_instructions(cls, instructions: str) -> type[Signature]:
        return build_signature(cls.__name__, cls._fields.values(), instructions)

    @classmethod
    def append_instructions(cls, instructions: str) -> type[Signature]:
        """A new signature whose instructions are these followed by `instructions`, after a
        blank line (DSPy's `append_instructions`)."""
        joined = f"{cls._instructions}\n\n{instructions}"
        return build_signature(cls.__name__, cls._fields.values(), joined)

    @classmethod
    def with_updated_fields(cls, name: str, type_: Any = None, **changes: Any) -> type[Signature]:
        """Change one field's type, desc or prefix (`with_updated_fields("label", type_=...)`);
        other keywords are stored in its `json_schema_extra`, as in DSPy."""
        field = cls._require(name)
        updates: dict[str, Any] = {}
        if type_ is not None:
            updates["annotation"] = type_
        extra = dict(field.extra)
        for key, value in changes.items():
            key = "desc" if key == "description" else key
            if key in ("desc", "prefix"):
                updates[key] = value
            elif key == "__dspy_field_type":
                if value not in ("input", "output"):
                    raise SignatureError("with_updated_fields: a field's role is input or output")
                updates["role"] = value
            else:
                extra[key] = value
        if extra != dict(field.extra):
            updates["extra"] = tuple(sorted(extra.items()))
        new_fields = [replace(f, **updates) if f.name == name else f for f in cls._fields.values()]
        return build_signature(cls.__name__, new_fields, cls._instructions)

    @classmethod
    def append(cls, name: str, field: Any, type_: Any = None) -> type[Signature]:
        return cls.insert(len(cls._fields), name, field, type_)

    @classmethod
    def prepend(cls, name: str, field: Any, type_: Any = None) -> type[Signature]:
        return cls.insert(0, name, field, type_)

    @classmethod
    def insert(cls, index: int, name: str, field: Any, type_: Any = None) -> type[Signature]:
        """Insert a field; the index counts within its role (inputs or outputs), -1 = last
        (a negative index counts from the end, as in DSPy)."""
        if not isinstance(field, FieldInfo):
            raise SignatureError("insert/append/prepend take InputField(...) or OutputField(...)")
        if name in cls._fields:
            raise SignatureError(f"{cls.__name__}: field {name!r} already exists")
        new = _new_field(name, field, type_ or str)
        inputs = [f for f in cls._fields.values() if f.role == "input"]
        outputs = [f for f in cls._fields.values() if f.role == "output"]
        group = inputs if new.role == "input" else outputs
        position = index + len(group) + 1 if index < 0 else index
        if position < 0:
            raise SignatureError(
                f"{cls.__name__}.insert: index {index} is out of range for its {new.role} fields "
                f"({len(group)} of them)"
            )
        group.insert(min(position, len(group)), new)
        return build_signature(cls.__name__, inputs + outputs, cls._instructions)

    @classmethod
    def delete(cls, name: str) -> type[Signature]:
        cls._require(name)
        return build_signature(
            cls.__name__, [f for f in cls._fields.values() if f.name != name], cls._instructions
        )

    @classmethod
    def equals(cls, other: type[Signature]) -> bool:
        return cls.instructions == other.instructions and cls._fields == other._fields

    @classmethod
    def dump_state(cls) -> dict[str, Any]:
        """The learnable part, in the shape DSPy's save() writes."""
        return {
            "instructions": cls.instructions,
            "fields": [
                {"prefix": f.prefix, "description": f.desc or f"${{{f.name}}}"}
                for f in cls._fields.values()
            ],
        }

    @classmethod
    def load_state(cls, state: dict[str, Any]) -> type[Signature]:
        """A new signature with instructions and field prefixes/descriptions from `state`."""
        fields = list(cls._fields.values())
        saved = state.get("fields", [])
        if saved and len(saved) != len(fields):
            raise SignatureError(
                f"saved state has {len(saved)} fields but {cls.__name__} has {len(fields)}"
            )
        new_fields = []
        for f, s in zip(fields, saved or [{}] * len(fields)):
            desc = s.get("description", f.desc)
            if desc == f"${{{f.name}}}":
                desc = ""
            new_fields.append(replace(f, desc=desc, prefix=s.get("prefix", f.prefix)))
        instructions = state.get("instructions", cls._instructions)
        return build_signature(cls.__name__, new_fields, instructions)

    @classmethod
    def _require(cls, name: str) -> Field:
        if name not in cls._fields:
            raise SignatureError(
                f"{cls.__name__} has no field {name!r}; fields: {list(cls._fields)}"
            )
        return cls._fields[name]


Signature._is_base_exact = Signature  # type: ignore[attr-defined]


def build_signature(name: str, fields: Iterable[Field], instructions: str) -> type[Signature]:
    fields = list(fields)
    seen: set[str] = set()
    for f in fields:
        if f.name in seen:
            raise SignatureError(
                f"{name}: duplicate field name {f.name!r} (inputs and outputs need distinct names)"
            )
        seen.add(f.name)
        _validate_field(f, name)
    namespace: dict[str, Any] = {"__doc__": instructions or None, "__module__": __name__}
    cls = SignatureMeta.__new__(SignatureMeta, name, (Signature,), {**namespace, "_is_base": True})
    cls._fields = {f.name: f for f in fields}
    cls._instructions = instructions or default_instructions(fields)
    return cls


def make_signature(
    spec: str | dict[str, Any] | type[Signature],
    instructions: str | None = None,
    signature_name: str = "StringSignature",
    custom_types: dict[str, Any] | None = None,
) -> type[Signature]:
    """A signature from a string or a {name: (type, FieldInfo)} dict; a class is returned."""
    if isinstance(spec, type) and issubclass(spec, Signature):
        return spec.with_instructions(instructions) if instructions else spec
    if isinstance(spec, str):
        if custom_types is None:
            custom_types = names_from_callers(spec) or None
        ins, outs = parse_signature_string(spec, custom_types)
        names = [n for n, _ in ins + outs]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise SignatureError(
                f"malformed signature {spec!r}: duplicate field name(s) {dupes} (inputs and "
                "outputs need distinct names)"
            )
        fields = [Field(n, "input", t, "", infer_prefix(n) + ":") for n, t in ins]
        fields += [Field(n, "output", t, "", infer_prefix(n) + ":") for n, t in outs]
        return build_signature(signature_name, fields, instructions or "")
    if isinstance(spec, dict):
        fields = []
        for name, value in spec.items():
            annotation, info = value if isinstance(value, tuple) else (str, value)
            if not isinstance(info, FieldInfo):
                raise SignatureError(f"field {name!r}: expected InputField()/OutputField()")
            fields.append(_new_field(name, info, annotation))
        return build_signature(signature_name, fields, instructions or "")
    raise SignatureError(f"cannot build a signature from {type(spec).__name__}")


def ensure_signature(spec: Any, instructions: str | None = None) -> type[Signature]:
    """Accept a Signature class or a string form."""
    return make_signature(spec, instructions)


def require_inputs(owner: str, signature: type[Signature], values: dict[str, Any]) -> None:
    """Raise MissingInputError naming the inputs of `signature` that `values` lacks."""
    missing = [name for name in signature.input_fields if name not in values]
    if missing:
        raise MissingInputError(f"{owner}({signature.signature}) is missing input field(s) "
                                f"{missing}; got {sorted(values)}")  # fmt: skip

