"""DSPy's custom field types: `Type` (the base of a field type that formats itself), and the
text types built on it, `Reasoning` and `Code["python"]`.

A `Type` is a pydantic model that says how it is shown to the LM (`format()`) and, optionally,
a note on its form (`description()`). A text type (`reads_text = True`) is written by the LM as
plain text and read back with `from_text`, so the adapters treat it as a `str` field.
`Reasoning` is also filled natively: with an LM that reasons on its own (`supports_reasoning`),
the adapters ask for it with `reasoning_effort` and read the provider's `reasoning_content`
(`engine.adapters.native_calls`).
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

import pydantic


class Type(pydantic.BaseModel):
    """Base of a custom field type: subclass it, add fields, and say how a value is shown to the
    LM in `format()` (a string, or a list of chat content parts)."""

    reads_text: ClassVar[bool] = False  # written by the LM as plain text (`from_text`)

    def format(self) -> Any:
        """How a value is shown to the LM; by default its JSON."""
        return self.model_dump_json()

    @classmethod
    def description(cls) -> str:
        """A note on the type's form for the prompt ('' for none)."""
        return ""

    @classmethod
    def is_streamable(cls) -> bool:
        return False

    @pydantic.model_serializer(mode="wrap")
    def _serialize(self, handler: Any, info: pydantic.SerializationInfo) -> Any:
        # as a nested value in a saved or JSON-formatted structure: its own form
        if info.mode == "json" and type(self).reads_text:
            return self.format()
        return handler(self)


class _TextType(Type):
    """A type whose value is one string (`content`), compared and used like that string."""

    reads_text: ClassVar[bool] = True
    text_field: ClassVar[str] = "content"  # the field holding the text

    def __init__(self, value: Any = None, /, **data: Any) -> None:
        if value is not None:  # `Reasoning("...")`: the text, positionally
            data = {self.text_field: value} if isinstance(value, str) else dict(value)
        super().__init__(**data)

    @classmethod
    def from_text(cls, text: str) -> _TextType:
        return cls.model_validate(text)

    def __str__(self) -> str:
        return self._text()

    def _text(self) -> str:
        return getattr(self, self.text_field)

    def format(self) -> str:
        return self._text()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, type(self)):
            return self._text() == other._text()
        if isinstance(other, str):
            return self._text() == other
        return False

    def __hash__(self) -> int:
        return hash(self._text())

    def __len__(self) -> int:
        return len(self._text())

    def __contains__(self, item: str) -> bool:
        return item in self._text()


class Reasoning(_TextType):
    """The LM's reasoning as a field: `reasoning: dspy.Reasoning = dspy.OutputField()`. Reads
    as its text (`str(r)`, `r == "..."`, `r.strip()`); built from a string or
    `Reasoning(content=...)`."""

    content: str

    @pydantic.model_validator(mode="before")
    @classmethod
    def _from_text(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"content": data}
        if isinstance(data, dict) and not isinstance(data.get("content"), str):
            raise ValueError("dspy.Reasoning needs `content`, a string")
        return data

    def __repr__(self) -> str:
        return repr(self.content)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.content, name)  # str methods: strip, lower, split, ...


_FENCE = re.compile(r"^\s*```[\w+-]*[ \t]*\n(.*?)\n?```\s*$", re.S)


class Code(_TextType):
    """Code as a field: `code: dspy.Code["python"] = dspy.OutputField()`; `.code` holds it (a
    fenced reply is unwrapped), `language` names the language."""

    code: str
    language: ClassVar[str] = "python"
    text_field: ClassVar[str] = "code"

    @pydantic.model_validator(mode="before")
    @classmethod
    def _from_text(cls, data: Any) -> Any:
        if isinstance(data, str):
            data = {"code": data}
        if isinstance(data, dict) and isinstance(data.get("code"), str):
            fenced = _FENCE.match(data["code"])
            if fenced:
                data = {**data, "code": fenced.group(1)}
        return data

    def __class_getitem__(cls, language: Any) -> type[Code]:  # type: ignore[override]
        if not isinstance(language, str) or not language.strip():
            raise TypeError(
                f'Code[...] takes a language name, e.g. Code["python"], got {language!r}'
            )
        name = language.strip()
        suffix = re.sub(r"\W", "_", name)
        namespace = {"language": name, "__module__": cls.__module__, "__annotations__": {}}
        return type(f"Code_{suffix}", (cls,), namespace)

    @classmethod
    def description(cls) -> str:
        return (
            f"Code represented in a string, in the `{cls.language}` language; write the code "
            "itself (a fenced block is unwrapped)."
        )

    def __repr__(self) -> str:
        return f"Code(code={self.code!r}, language={self.language!r})"
