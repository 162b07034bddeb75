"""A reply's text with what the provider returned beside it: native tool calls and reasoning.

LMs return their completions as strings; when a provider's message also carries `tool_calls`
(native function calling) or `reasoning_content` (a reasoning model), the string is a
`NativeReply`, a `str` holding them as attributes. Code that reads replies as text is unchanged;
the adapters read the extras (`engine.adapters.native_calls`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

_heard: ContextVar[list[str] | None] = ContextVar("replies_heard", default=None)


@contextmanager
def hearing_replies() -> Iterator[list[str]]:
    """Within: the text of each reply an adapter reads (its first completion) is appended to
    the yielded list, a format fallback's retry after the reply it replaced."""
    heard: list[str] = []
    token = _heard.set(heard)
    try:
        yield heard
    finally:
        _heard.reset(token)


def hear_reply(outputs: list[Any]) -> None:
    """Hand a call's replies to whoever is `hearing_replies()` (nobody: nothing kept)."""
    heard = _heard.get()
    if heard is not None and outputs:
        heard.append(str(outputs[0]))


class NativeReply(str):
    """The reply's text (`content`, possibly empty) plus `tool_calls` (the provider's, as dicts:
    `{"id", "type", "function": {"name", "arguments"}}`) and `reasoning_content`."""

    tool_calls: list[dict[str, Any]]
    reasoning_content: str | None

    def __new__(
        cls,
        text: str | None,
        tool_calls: list[dict[str, Any]] | None = None,
        reasoning_content: str | None = None,
    ) -> NativeReply:
        reply = super().__new__(cls, text or "")
        reply.tool_calls = list(tool_calls or [])
        reply.reasoning_content = reasoning_content
        return reply

    def extras(self) -> dict[str, Any]:
        """The extras as a JSON-ready dict (what the LM cache keeps beside the text)."""
        found: dict[str, Any] = {}
        if self.tool_calls:
            found["tool_calls"] = self.tool_calls
        if self.reasoning_content is not None:
            found["reasoning_content"] = self.reasoning_content
        return found

    def __reduce__(self) -> tuple[Any, ...]:
        return (NativeReply, (str(self), self.tool_calls, self.reasoning_content))


def with_extras(text: str, extras: dict[str, Any] | None) -> str:
    """`text` as a NativeReply when `extras` (from `NativeReply.extras`) hold something."""
    if not extras:
        return text
    return NativeReply(text, extras.get("tool_calls"), extras.get("reasoning_content"))


def reply_extras(text: Any) -> dict[str, Any]:
    """The extras of a reply ({} for a plain string)."""
    return text.extras() if isinstance(text, NativeReply) else {}


def has_content(text: Any) -> bool:
    """Whether a reply says anything: text, or tool calls (a tool-call-only reply has none)."""
    return bool(str(text).strip()) or bool(getattr(text, "tool_calls", None))


def _plain(value: Any) -> Any:
    """A provider object (pydantic or litellm) as plain dicts and lists."""
    if hasattr(value, "model_dump"):
        return value.model_dump()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "__dict__") and not isinstance(value, str | int | float | bool):
        return {k: _plain(v) for k, v in vars(value).items() if not k.startswith("_")}
    return value


def reply_from_message(message: Any) -> str:
    """A chat completion message (an object or a dict) as a reply: its content, and its tool
    calls and reasoning content when it has them."""

    def get(name: str) -> Any:
        return message.get(name) if isinstance(message, dict) else getattr(message, name, None)

    content = get("content")
    calls = get("tool_calls")
    reasoning = get("reasoning_content")
    if not calls and not isinstance(reasoning, str):
        return "" if content is None else str(content)
    return NativeReply(
        None if content is None else str(content),
        [_plain(call) for call in calls or []],
        reasoning if isinstance(reasoning, str) else None,
    )
