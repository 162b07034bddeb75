"""Tool: a plain Python function an agent (ReAct) can call by name with JSON arguments.

`Tool(func)` reads the function's name, docstring and type hints, as DSPy's `dspy.Tool` does:
`tool.args` is {argument: JSON schema (with "default" when there is one)}. Calling the tool
validates and casts the arguments from the hints (pydantic, lax: "3" becomes 3 for an int) and
returns the function's result, or a `ToolError` naming what went wrong (an unknown or missing
argument, a value of the wrong type, an exception the function raised) instead of raising.

`Tool.from_mcp_tool(session, tool)` is DSPy's bridge from a Model Context Protocol tool: its
name, description and input schema become the tool's, and a call awaits `session.call_tool`
(a server started by command: `engine.adapters.mcp.McpServer`).
"""

from __future__ import annotations

import asyncio
import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pydantic

from engine.core import with_callbacks


@dataclass(frozen=True)
class ToolError:
    """What a tool call gives back when it failed; `str()` is the observation an agent sees."""

    tool: str
    message: str
    kind: str = "raised"  # "raised" (the function raised) or "arguments" (bad arguments)

    def __str__(self) -> str:
        return f"Execution error in {self.tool}: {self.message}"


class Tool:
    """`Tool(func, name=None, desc=None, args=None, arg_types=None, arg_desc=None)`."""

    def __init__(
        self,
        func: Callable[..., Any],
        name: str | None = None,
        desc: str | None = None,
        args: dict[str, Any] | None = None,
        arg_types: dict[str, Any] | None = None,
        arg_desc: dict[str, str] | None = None,
    ) -> None:
        if not callable(func):
            raise TypeError(f"Tool needs a callable, got {type(func).__name__}: {func!r}")
        self.func = func
        target = func if inspect.isfunction(func) or inspect.ismethod(func) else func.__call__
        signature = inspect.signature(target)
        self.has_kwargs = any(p.kind == p.VAR_KEYWORD for p in signature.parameters.values())
        params = {
            k: p
            for k, p in signature.parameters.items()
            if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
        }
        hints = _hints(target)
        self.name = name or getattr(func, "__name__", type(func).__name__)
        self.desc = desc or getattr(func, "__doc__", None) or getattr(target, "__doc__", "") or ""
        self.arg_types = (
            arg_types if arg_types is not None else {k: hints.get(k, Any) for k in params}
        )
        self.required = [k for k, p in params.items() if p.default is inspect.Parameter.empty]
        if args is None:
            args = {k: _schema(self.arg_types.get(k, Any)) for k in params}
            for k, p in params.items():
                if p.default is not inspect.Parameter.empty:
                    args[k]["default"] = _json_default(p.default)
        self.args = args
        for k, text in (arg_desc or {}).items():
            self.args.setdefault(k, {})["description"] = text

    @with_callbacks
    def __call__(self, **kwargs: Any) -> Any:
        """Call the function with validated, cast arguments; a `ToolError` on any failure."""
        parsed = self.parse_args(kwargs)
        if isinstance(parsed, ToolError):
            return parsed
        try:
            result = self.func(**parsed)
            if inspect.iscoroutine(result):
                result = asyncio.run(result)
        except Exception as exc:  # noqa: BLE001 - the agent sees the error and goes on
            return ToolError(self.name, f"{type(exc).__name__}: {exc}")
        return result

    @with_callbacks
    async def acall(self, **kwargs: Any) -> Any:
        """`__call__` for async code: an async function is awaited in the caller's loop."""
        parsed = self.parse_args(kwargs)
        if isinstance(parsed, ToolError):
            return parsed
        try:
            result = self.func(**parsed)
            if inspect.iscoroutine(result):
                result = await result
        except Exception as exc:  # noqa: BLE001 - the agent sees the error and goes on
            return ToolError(self.name, f"{type(exc).__name__}: {exc}")
        return result

    @classmethod
    def from_mcp_tool(cls, session: Any, tool: Any, *, max_chars: int | None = None) -> Tool:
        """DSPy's `Tool.from_mcp_tool(session, tool)`: an MCP tool (from `list_tools()`) called
        through `session.call_tool` (an MCP `ClientSession`, or anything with that async
        method; `await agent.acall(...)` in the session's loop, as in DSPy; a session marked
        `any_loop` is called from any loop). The reply is its text parts as one text (cut at
        `max_chars`); a reply marked as an error raises, so the agent sees it as the call's
        observation."""
        schema = getattr(tool, "inputSchema", None) or {}
        properties = dict(schema.get("properties") or {})

        home = None if getattr(session, "any_loop", False) else _running_loop()

        async def call_mcp_tool(**kwargs: Any) -> str:
            call = session.call_tool(tool.name, arguments=kwargs)
            if home is not None and home.is_running() and _running_loop() is not home:
                # a session lives on the loop it was opened on; a module's `acall` runs its
                # forward (and so this call) on a worker thread with a loop of its own
                reply = await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(call, home))
            else:
                reply = await call
            return mcp_reply_text(reply, max_chars)

        made = cls(
            call_mcp_tool,
            name=tool.name,
            desc=getattr(tool, "description", None) or "",
            args={k: dict(v) for k, v in properties.items()},
            arg_types={k: _JSON_TYPES.get(v.get("type"), Any) for k, v in properties.items()},
        )
        made.required = [k for k in schema.get("required") or () if k in properties]
        made.has_kwargs = not properties  # a tool that lists no arguments takes what it is given
        return made

    def parse_args(self, kwargs: dict[str, Any]) -> dict[str, Any] | ToolError:
        """The arguments cast to the hinted types, or a ToolError saying what is wrong."""
        known = list(self.args)
        unknown = [k for k in kwargs if k not in self.args]
        if unknown and not self.has_kwargs:
            takes = ", ".join(known) if known else "no arguments"
            return self._bad(f"unknown argument(s) {unknown}; {self.name} takes {takes}")
        missing = [k for k in self.required if k not in kwargs]
        if missing:
            return self._bad(f"missing required argument(s) {missing}")
        parsed: dict[str, Any] = {}
        for key, value in kwargs.items():
            annotation = self.arg_types.get(key, Any)
            if annotation is Any or key not in self.args:
                parsed[key] = value
                continue
            try:
                parsed[key] = pydantic.TypeAdapter(annotation).validate_python(value)
            except pydantic.ValidationError as exc:
                reason = exc.errors()[0].get("msg", "invalid value") if exc.errors() else str(exc)
                return self._bad(f"argument {key!r} = {value!r}: {reason}")
        return parsed

    def _bad(self, message: str) -> ToolError:
        return ToolError(self.name, message, kind="arguments")

    def __str__(self) -> str:
        """How the tool is listed in ReAct's instructions (DSPy's wording)."""
        desc = f", whose description is <desc>{self.desc}</desc>." if self.desc else "."
        return f"{self.name}{desc.replace(chr(10), '  ')} It takes arguments {self.args}."

    def __repr__(self) -> str:
        return f"Tool(name={self.name}, desc={self.desc}, args={self.args})"

    def format(self) -> str:
        """The tool as a signature's input shows it: its `str()` (as DSPy's `Tool.format`)."""
        return str(self)

    def format_as_litellm_function_call(self) -> dict[str, Any]:
        """The tool as a provider's native function-calling schema (OpenAI's `tools=` entry);
        an argument with a default is optional."""
        required = [k for k in self.args if "default" not in (self.args[k] or {})]
        parameters = {"type": "object", "properties": self.args, "required": required}
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.desc, "parameters": parameters},
        }


_JSON_TYPES: dict[Any, Any] = {
    "string": str, "integer": int, "number": float, "boolean": bool, "array": list, "object": dict,
}  # fmt: skip


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def mcp_reply_text(reply: Any, max_chars: int | None = None) -> str:
    """An MCP tool's reply (`CallToolResult`) as text: its text parts joined, other parts named
    by kind; RuntimeError with that text when the server marked the reply as an error."""
    parts = []
    for part in getattr(reply, "content", None) or ():
        kind = getattr(part, "type", "")
        parts.append(part.text if kind == "text" else f"[{kind or 'non-text'} content]")
    text = "\n".join(parts)
    if max_chars is not None and len(text) > max_chars:
        text = f"{text[:max_chars]} [... {len(text) - max_chars} more characters cut]"
    if getattr(reply, "isError", False):
        raise RuntimeError(f"the tool reported an error: {text or 'no message'}")
    return text


def _hints(target: Callable[..., Any]) -> dict[str, Any]:
    try:
        return typing.get_type_hints(target)
    except Exception:  # noqa: BLE001 - unresolvable hints: fall back to the raw annotations
        return {
            k: v
            for k, v in getattr(target, "__annotations__", {}).items()
            if not isinstance(v, str)
        }


def _schema(annotation: Any) -> dict[str, Any]:
    """The JSON schema of a type, with `$ref`s resolved inline; {} when there is none."""
    try:
        schema = pydantic.TypeAdapter(annotation).json_schema()
    except Exception:  # noqa: BLE001 - a type pydantic cannot describe takes any value
        return {}
    return _resolve_refs(schema, schema.get("$defs", {}))


def _resolve_refs(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _resolve_refs(defs.get(ref.split("/")[-1], {}), defs)
        return {k: _resolve_refs(v, defs) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_resolve_refs(v, defs) for v in node]
    return node


def _json_default(value: Any) -> Any:
    if isinstance(value, pydantic.BaseModel):
        return value.model_dump()
    if value is None or isinstance(value, (str, int, float, bool, list, dict)):
        return value
    return repr(value)
