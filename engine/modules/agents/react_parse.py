"""Reading a ReAct step leniently when the adapter could not: small models write tool calls as
`lookup(name="Ada")`, `"lookup"`, `Lookup`, a bare argument instead of a JSON object, or
`key: value` lines. Used only after the adapter's own parse (and repairs) failed."""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from typing import Any

from engine.adapters.chat import repair, split_sections
from engine.adapters.types.tool import Tool
from engine.core import CastError, match_literal

_CALL = re.compile(r"^\s*[`'\"]?([A-Za-z_][\w.-]*)[`'\"]?\s*\((.*)\)\s*$", re.S)


@dataclass
class Step:
    """One step read from a reply: thought, tool name and arguments."""

    thought: str
    tool_name: str
    tool_args: dict[str, Any] = field(default_factory=dict)


class StepParseError(ValueError):
    """The reply names no known tool; `thought` and `raw_name` are what could be read."""

    def __init__(self, message: str, thought: str = "", raw_name: str = "") -> None:
        super().__init__(message)
        self.thought = thought
        self.raw_name = raw_name


def read_step(text: str, signature: Any, tools: dict[str, Tool]) -> Step:
    """A Step from a reply the adapter rejected, or StepParseError when no tool is named."""
    sections = split_sections(text, signature)
    missing = [n for n in signature.output_fields if n not in sections]
    raw = {**repair(text, signature, missing), **sections} if missing else sections
    thought = str(raw.get("next_thought", "")).strip()
    raw_name = str(raw.get("next_tool_name", "")).strip()
    raw_args = str(raw.get("next_tool_args", "")).strip()
    call = _CALL.match(raw_name)
    if call:
        raw_name, call_args = call.group(1), call.group(2)
        raw_args = raw_args or call_args
    name = tool_name(raw_name, tools)
    if name is None:
        shown = raw_name[:80] if raw_name else "nothing"
        raise StepParseError(
            f"could not read a tool name from the reply (got {shown!r}; tools: {list(tools)})",
            thought=thought,
            raw_name=raw_name,
        )
    return Step(thought, name, tool_args(raw_args, tools[name]))


def tool_name(text: str, tools: dict[str, Tool]) -> str | None:
    """The tool a name refers to: exact, case/quote-insensitive, or the only one mentioned."""
    if not text:
        return None
    if text in tools:
        return text
    try:
        return str(match_literal(text, tuple(tools)))
    except CastError:
        return None


def tool_args(text: str, tool: Tool) -> dict[str, Any]:
    """Arguments as a dict: JSON, a Python literal, `a=1, b="x"`, `a: 1` lines, or a bare value
    for a tool with one (required) argument. {} when nothing can be read (the tool then names
    what is missing)."""
    text = text.strip().strip("`").strip()
    if text.startswith("json"):
        text = text[4:].strip()
    if not text:
        return {}
    value = _literal(text)
    if isinstance(value, dict):
        return {str(k): v for k, v in value.items()}
    keywords = _keywords(text)
    if keywords:
        return keywords
    pairs = dict(re.findall(r"(?m)^\s*[\"']?(\w+)[\"']?\s*[:=]\s*(.+?)\s*,?\s*$", text))
    if pairs and set(pairs) <= set(tool.args):
        return {k: _scalar(v) for k, v in pairs.items()}
    names = list(tool.args) if len(tool.args) == 1 else tool.required
    if len(names) == 1:  # one argument (or one required one): the bare value is it
        return {names[0]: value if value is not None else text}
    return {}


def _literal(text: str) -> Any:
    for attempt in (text, text[text.find("{") : text.rfind("}") + 1] if "{" in text else ""):
        if not attempt:
            continue
        try:
            return json.loads(attempt)
        except ValueError:
            pass
        try:
            return ast.literal_eval(attempt)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            pass
    return None


def _keywords(text: str) -> dict[str, Any]:
    """`name="Ada", limit=2` read as keyword arguments (literals only)."""
    try:
        call = ast.parse(f"f({text})", mode="eval").body
    except (SyntaxError, ValueError, RecursionError):
        return {}
    if not isinstance(call, ast.Call) or call.args or not call.keywords:
        return {}
    out: dict[str, Any] = {}
    for keyword in call.keywords:
        if keyword.arg is None:
            return {}
        try:
            out[keyword.arg] = ast.literal_eval(keyword.value)
        except (ValueError, SyntaxError, TypeError, RecursionError):
            return {}
    return out


def _scalar(text: str) -> Any:
    value = _literal(text.strip())
    return value if value is not None else text.strip().strip("\"'")
