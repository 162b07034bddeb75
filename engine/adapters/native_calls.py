"""Native LM features in the adapters: tool calls through the provider's function calling, and
reasoning through its reasoning mode (DSPy's `_call_preprocess` / `_call_postprocess`).

Before the call (`prepare`): with `use_native_function_calling` and an LM that
`supports_function_calling`, a signature with a `list[Tool]` input and a `ToolCalls` output
sends the tools as `tools=` (`tool_choice="auto"` when `parallel_tool_calls` is asked for) and
both fields leave the prompt. Without native calling, `tools`, `tool_choice` and
`parallel_tool_calls` are dropped from the call: the tool calls are written as a field. A
`Reasoning` output, with an LM that `supports_reasoning`, turns on `reasoning_effort` ("low"
unless the call or the LM sets it; None keeps it off) and leaves the prompt.

After the call (`finish`): the reply's text is parsed with the reduced signature; the provider's
tool calls fill the `ToolCalls` output (their ids kept, arguments read leniently) and its
`reasoning_content` the `Reasoning` output; when tool calls came back, text that cannot be read
is not an error. Fields the reply does not hold are None.
"""

from __future__ import annotations

import ast
import json
from typing import Any, get_args, get_origin

from engine.core import (
    AdapterParseError,
    NativeReply,
    Reasoning,
    ToolCall,
    ToolCalls,
    strip_optional,
)

TOOL_KWARGS = ("tools", "tool_choice", "parallel_tool_calls")


def _is_tools(annotation: Any) -> bool:
    annotation = strip_optional(annotation)
    args = get_args(annotation)
    return (
        get_origin(annotation) is list
        and len(args) == 1
        and hasattr(args[0], "format_as_litellm_function_call")
    )


def _field_of(fields: dict[str, Any], kind: type) -> str | None:
    for name, field in fields.items():
        annotation = strip_optional(field.annotation)
        if isinstance(annotation, type) and issubclass(annotation, kind):
            return name
    return None


def tool_fields(signature: Any) -> tuple[str | None, str | None]:
    """(the `list[Tool]` input's name, the `ToolCalls` output's name); None where absent."""
    tools = next((n for n, f in signature.input_fields.items() if _is_tools(f.annotation)), None)
    return tools, _field_of(signature.output_fields, ToolCalls)


def prepare(
    adapter: Any, lm: Any, lm_kwargs: dict[str, Any], signature: Any, inputs: dict[str, Any]
) -> Any:
    """The signature the prompt is written for; `lm_kwargs` is updated in place."""
    tools_in, calls_out = tool_fields(signature)
    if not adapter.use_native_function_calling:
        for key in TOOL_KWARGS:
            lm_kwargs.pop(key, None)
    elif calls_out is not None:
        if tools_in is None:
            raise ValueError(
                f"The output field {calls_out!r} receives tool calls, but no input field holds "
                "the tools: add an input field typed `list[dspy.Tool]`."
            )
        if getattr(lm, "supports_function_calling", False):
            tools = inputs.get(tools_in) or []
            tools = tools if isinstance(tools, list | tuple) else [tools]
            lm_kwargs["tools"] = [tool.format_as_litellm_function_call() for tool in tools]
            if (
                adapter.parallel_tool_calls is not None
                and lm_kwargs.get("parallel_tool_calls") is None
            ):
                lm_kwargs["parallel_tool_calls"] = adapter.parallel_tool_calls
            signature = signature.delete(calls_out).delete(tools_in)
        else:
            for key in TOOL_KWARGS:
                lm_kwargs.pop(key, None)
    if lm_kwargs.get("parallel_tool_calls") is not None:
        lm_kwargs.setdefault("tool_choice", "auto")
    thinking = _field_of(signature.output_fields, Reasoning)
    if thinking is not None and Reasoning in adapter.native_response_types:
        effort = lm_kwargs.get(
            "reasoning_effort", (getattr(lm, "kwargs", None) or {}).get("reasoning_effort", "low")
        )
        if effort is not None and getattr(lm, "supports_reasoning", False):
            lm_kwargs["reasoning_effort"] = effort
            signature = signature.delete(thinking)
    return signature


def _arguments(raw: Any) -> dict[str, Any]:
    """A provider's tool-call arguments (a JSON string, maybe with a trailing comma or in
    Python's quotes, or already a dict) as a dict."""
    if isinstance(raw, dict):
        return raw
    text = str(raw or "").strip() or "{}"
    for attempt in (text, _without_trailing_commas(text)):
        try:
            value = json.loads(attempt)
        except ValueError:
            try:
                value = ast.literal_eval(attempt)
            except (ValueError, SyntaxError):
                continue
        if isinstance(value, dict):
            return value
    raise AdapterParseError(
        f"the provider's tool-call arguments are not a JSON object: {text[:200]!r}",
        raw_text=text,
        missing=[],
    )


def _without_trailing_commas(text: str) -> str:
    out = []
    for index, char in enumerate(text):
        if char == "," and text[index + 1 :].lstrip()[:1] in ("}", "]"):
            continue
        out.append(char)
    return "".join(out)


def provider_tool_calls(calls: list[Any]) -> ToolCalls:
    """The provider's tool calls (`{"id" or "call_id", "function": {"name", "arguments"}}`) as
    ToolCalls."""
    found = []
    for call in calls:
        call = dict(call)
        function = dict(call.get("function") or {})
        name = function.get("name") or call.get("name")
        args = _arguments(function.get("arguments", call.get("arguments")))
        found.append(ToolCall(id=call.get("id") or call.get("call_id"), name=name, args=args))
    return ToolCalls(tool_calls=found)


def _reply_parts(output: Any) -> tuple[str | None, list[Any], str | None]:
    """(text, provider tool calls, reasoning content) of one LM output: a string, a NativeReply
    or DSPy's dict shape ({"text", "tool_calls", "reasoning_content"})."""
    if isinstance(output, dict):
        return (
            output.get("text"),
            list(output.get("tool_calls") or []),
            output.get("reasoning_content"),
        )
    if isinstance(output, NativeReply):
        return str(output), output.tool_calls, output.reasoning_content
    return (None if output is None else str(output)), [], None


def finish(
    parse: Any, processed: Any, original: Any, output: Any, fallback: Any = None
) -> dict[str, Any]:
    """One output's fields for the `original` signature. `parse(signature, text)` reads the
    text; `fallback(error)` (optional) answers a parse failure when no tool calls came back."""
    text, calls, reasoning = _reply_parts(output)
    _, calls_out = tool_fields(original)
    native_calls = bool(calls) and calls_out is not None
    if native_calls:
        try:
            values = parse(processed, text) if text and processed.output_fields else {}
        except AdapterParseError:
            values = {}  # the provider's tool calls are the answer
    elif text or processed.output_fields:
        try:
            values = parse(processed, text or "")
        except AdapterParseError as error:
            if fallback is None:
                raise
            values = fallback(error)
    else:
        values = {}
    for name in original.output_fields:
        values.setdefault(name, None)
    if native_calls:
        values[calls_out] = provider_tool_calls(calls)
    thinking = _field_of(original.output_fields, Reasoning)
    if (
        thinking is not None
        and isinstance(reasoning, str)
        and thinking not in processed.output_fields
    ):
        values[thinking] = Reasoning(content=reasoning)
    return values
