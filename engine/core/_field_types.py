"""DSPy's special field types: `History`, `Image`, `File`, `ToolCalls`.

They are pydantic models, so a signature accepts them like any model. The adapters give them
their DSPy meaning: a `History` input becomes earlier user/assistant turns
(`engine.adapters.history_turns`). The engine talks to text-only models, so an `Image` or a
`File` is shown in the prompt as DSPy describes it in text (its `repr`: the URL, or the size of
its inlined data), not sent as an image or file part.
"""

from __future__ import annotations

import base64
import mimetypes
from pathlib import Path
from typing import Any, ClassVar

import pydantic

_FROZEN = pydantic.ConfigDict(
    frozen=True, str_strip_whitespace=True, validate_assignment=True, extra="forbid"
)


class History(pydantic.BaseModel):
    """Earlier turns of a conversation: `History(messages=[{"question": ..., "answer": ...}])`,
    each message holding the signature's input and output fields of one turn."""

    messages: list[dict[str, Any]]

    model_config = _FROZEN


_IMAGE_MAGIC = {
    b"\x89PNG": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"GIF8": "image/gif",
    b"RIFF": "image/webp",
}


def _data_uri(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _image_mime(data: bytes) -> str:
    return next((m for magic, m in _IMAGE_MAGIC.items() if data.startswith(magic)), "image/png")


def download(url: str, verify: bool, timeout: float | None) -> tuple[bytes, str]:
    """The bytes at `url` and their content type ('' when the server names none)."""
    import ssl
    import urllib.request

    context = None if verify else ssl._create_unverified_context()  # noqa: S323
    with urllib.request.urlopen(url, timeout=timeout, context=context) as response:  # noqa: S310
        return response.read(), response.headers.get_content_type() or ""


def _listed(value: Any, key: str) -> Any:
    """A model's input with `key` holding a list: a bare list, or one item, is wrapped."""
    if isinstance(value, list):
        return {key: value}
    if isinstance(value, dict) and key not in value and "name" in value:
        return {key: [value]}
    return value


class Image(pydantic.BaseModel):
    """An image by URL (http, https, gs) or inlined as a data URI: `Image("https://...")`,
    `Image(raw_bytes)`, `Image.from_path(path)`. Building one never reads a file or the
    network; `from_path` and `from_url` do, when asked."""

    url: str

    model_config = _FROZEN

    def __init__(self, source: Any = None, /, **data: Any) -> None:
        if source is not None and "url" in data:
            raise TypeError("Image received both a source and url=; give one image source")
        if source is not None:
            data["url"] = (
                source["url"] if isinstance(source, dict) and set(source) == {"url"} else source
            )
        if isinstance(data.get("url"), (bytes, bytearray)):
            raw = bytes(data["url"])
            data["url"] = _data_uri(raw, _image_mime(raw))
        elif isinstance(data.get("url"), Image):
            data["url"] = data["url"].url
        super().__init__(**data)

    @classmethod
    def from_path(cls, file_path: str | Path) -> Image:
        path = Path(file_path)
        if not path.is_file():
            raise FileNotFoundError(f"Image.from_path: no file at {path}")
        raw = path.read_bytes()
        mime = mimetypes.guess_type(path.name)[0] or _image_mime(raw)
        return cls(_data_uri(raw, mime))

    from_file = from_path

    @classmethod
    def from_url(cls, url: str, verify: bool = True, timeout: float | None = 30.0) -> Image:
        """Download the image and inline it (a data URI)."""
        raw, mime = download(url, verify, timeout)
        return cls(_data_uri(raw, mime or _image_mime(raw)))

    @classmethod
    def from_PIL(cls, pil_image: Any) -> Image:  # noqa: N802 - DSPy's name
        """A PIL image, inlined as PNG (or its own format)."""
        import io

        buffer = io.BytesIO()
        kind = (getattr(pil_image, "format", None) or "PNG").upper()
        pil_image.save(buffer, format=kind)
        return cls(_data_uri(buffer.getvalue(), f"image/{kind.lower()}"))

    def format(self) -> list[dict[str, Any]]:
        """The chat content part DSPy sends for it (`image_url`)."""
        return [{"type": "image_url", "image_url": {"url": self.url}}]

    def __repr__(self) -> str:
        if self.url.startswith("data:") and "base64," in self.url:
            kind = self.url.split(";")[0].split("/")[-1]
            size = len(self.url.split("base64,", 1)[1])
            return f"Image(url=data:image/{kind};base64,<IMAGE_BASE_64_ENCODED({size})>)"
        return f"Image(url='{self.url}')"

    __str__ = __repr__


class File(pydantic.BaseModel):
    """A document: inlined data (`file_data`, a data URI), a provider's `file_id`, and/or a
    `filename`. `File.from_path(path)`, `File.from_bytes(data)`, `File.from_file_id(id)`."""

    file_data: str | None = None
    file_id: str | None = None
    filename: str | None = None

    model_config = _FROZEN

    @pydantic.model_validator(mode="after")
    def _needs_one(self) -> File:
        if self.file_data is None and self.file_id is None and self.filename is None:
            raise ValueError("File needs file_data, file_id or filename")
        return self

    @classmethod
    def from_path(
        cls, file_path: str | Path, filename: str | None = None, mime_type: str | None = None
    ) -> File:
        path = Path(file_path)
        if not path.is_file():
            raise FileNotFoundError(f"File.from_path: no file at {path}")
        mime = mime_type or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return cls(file_data=_data_uri(path.read_bytes(), mime), filename=filename or path.name)

    @classmethod
    def from_bytes(
        cls,
        file_bytes: bytes,
        filename: str | None = None,
        mime_type: str = "application/octet-stream",
    ) -> File:
        return cls(file_data=_data_uri(file_bytes, mime_type), filename=filename)

    @classmethod
    def from_file_id(cls, file_id: str, filename: str | None = None) -> File:
        return cls(file_id=file_id, filename=filename)

    def format(self) -> list[dict[str, Any]]:
        """The chat content part DSPy sends for it (`file`)."""
        found = {k: v for k, v in self.model_dump().items() if v is not None}
        return [{"type": "file", "file": found}]

    def __repr__(self) -> str:
        parts = []
        if self.file_data is not None:
            if self.file_data.startswith("data:"):
                mime = self.file_data.split(";")[0].split(":", 1)[1]
                data = self.file_data.split("base64,", 1)[-1]
                parts.append(f"file_data=<DATA_URI({mime}, {len(data)} chars)>")
            else:
                parts.append(f"file_data=<DATA({len(self.file_data)} chars)>")
        if self.file_id is not None:
            parts.append(f"file_id='{self.file_id}'")
        if self.filename is not None:
            parts.append(f"filename='{self.filename}'")
        return f"File({', '.join(parts)})"

    __str__ = __repr__


class ToolCall(pydantic.BaseModel):
    """One call: the tool's `name` and its `args`."""

    id: str | None = None
    name: str
    args: dict[str, Any] = pydantic.Field(default_factory=dict)

    def format(self) -> dict[str, Any]:
        return {"name": self.name, "args": self.args}

    def execute(self, functions: dict[str, Any] | list[Any] | None = None) -> Any:
        """Run the call with the function of that name: from `functions` (a {name: function}
        dict or a list of Tools), else from the caller's locals and globals."""
        func = None
        if functions is None:
            import sys

            caller = sys._getframe(1)
            func = caller.f_locals.get(self.name) or caller.f_globals.get(self.name)
        elif isinstance(functions, dict):
            func = functions.get(self.name)
        else:
            func = next((t.func for t in functions if getattr(t, "name", None) == self.name), None)
        if func is None:
            raise ValueError(
                f"Tool function {self.name!r} not found; pass the functions to execute()"
            )
        try:
            return func(**self.args)
        except Exception as exc:
            raise RuntimeError(f"Error executing tool {self.name!r}: {exc}") from exc


class ToolCallResult(pydantic.BaseModel):
    """What one tool call returned: the call's id and tool name, the value, whether it failed."""

    call_id: str | None = None
    name: str
    value: Any
    is_error: bool = False


class ToolCallResults(pydantic.BaseModel):
    """The results of tool calls, in call order (DSPy's `dspy.ToolCallResults`)."""

    ToolCallResult: ClassVar[type[ToolCallResult]] = ToolCallResult

    tool_call_results: list[ToolCallResult]

    @pydantic.model_validator(mode="before")
    @classmethod
    def _accept_shapes(cls, value: Any) -> Any:
        return _listed(value, "tool_call_results")

    @classmethod
    def from_tool_calls_and_values(
        cls, tool_calls: Any, values: list[Any], is_errors: list[bool] | None = None
    ) -> ToolCallResults:
        """Pair each call (a `ToolCalls` or a list of `ToolCall`) with the value it returned."""
        calls = tool_calls.tool_calls if isinstance(tool_calls, ToolCalls) else list(tool_calls)
        errors = [False] * len(calls) if is_errors is None else list(is_errors)
        if len(values) != len(calls) or len(errors) != len(calls):
            raise ValueError(
                f"{len(calls)} tool calls need as many values (got {len(values)}) and error flags "
                f"(got {len(errors)})"
            )
        return cls(tool_call_results=[
            ToolCallResult(call_id=call.id, name=call.name, value=value, is_error=error)
            for call, value, error in zip(calls, values, errors, strict=True)
        ])  # fmt: skip


class ToolCalls(pydantic.BaseModel):
    """Tool calls an LM asks for, as an output field: `{"tool_calls": [{"name", "args"}]}`
    (a bare list of calls, or one call, is read too)."""

    ToolCall: ClassVar[type[ToolCall]] = ToolCall

    tool_calls: list[ToolCall]
    tool_call_results: ToolCallResults | None = None

    @pydantic.model_validator(mode="before")
    @classmethod
    def _accept_shapes(cls, value: Any) -> Any:
        return _listed(value, "tool_calls")

    @classmethod
    def from_dict_list(cls, tool_calls_dicts: list[dict[str, Any]]) -> ToolCalls:
        return cls(tool_calls=[ToolCall(**item) for item in tool_calls_dicts])

    @classmethod
    def description(cls) -> str:
        return (
            "Tool calls must be a JSON object with `tool_calls`, a list of calls. "
            "Each call must include `name` and `args`. "
            'Example: {"tool_calls": [{"name": "search", "args": {"query": "cats"}}]}'
        )

    def format(self) -> dict[str, Any]:
        return {"tool_calls": [call.format() for call in self.tool_calls]}
