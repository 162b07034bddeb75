"""DSPy's own prompt layout for the chat and JSON adapters, word for word: off by default.

The engine's layout (engine/adapters/chat.py) asks for the outputs in the system message, before
the inputs, so consecutive calls share their prompt prefix; its optimizers and benchmarks are
measured with it. Some users need DSPy's exact prompts instead (prompts recorded or reviewed
with DSPy, DSPy's exact-prompt tests): `ChatAdapter(dspy_prompts=True)`,
`JSONAdapter(dspy_prompts=True)`, or `TUNESMITH_DSPY_PROMPTS=1` in the environment for every
adapter built afterwards. Only the messages change; replies are read the same way.
"""

from __future__ import annotations

import enum
import inspect
import json
import os
import types
from collections.abc import Mapping
from typing import Any, Literal, Union, get_args, get_origin

import pydantic

from engine.adapters.dspy_values import collecting_parts, expand, jsonable, sections
from engine.adapters.history_turns import history_field
from engine.core import Code, History, Reasoning, ToolCalls

ENV = "TUNESMITH_DSPY_PROMPTS"
COMPLETED = "[[ ## completed ## ]]"
_PARTIAL = "This is an example of the task, though some input or output fields are not supplied."
_NOT_IN_DEMO = "Not supplied for this particular example. "
_NOT_IN_TURN = "Not supplied for this conversation history message. "
_TOOL_CALLS_FORM = ' (must be a JSON object like {"tool_calls": [{"name": "...", "args": {...}}]})'


def wanted_by_default() -> bool:
    """Whether `TUNESMITH_DSPY_PROMPTS=1` asks every new adapter for DSPy's layout."""
    return os.environ.get(ENV, "") == "1"


# -- names and notes ------------------------------------------------------------------------
def _quoted(text: str) -> str:
    """A Literal's string as Python would show it, quotes chosen by its content."""
    if "'" in text and '"' not in text:
        return f'"{text}"'
    if "'" in text:
        return "'" + text.replace("'", "\\'") + "'"
    return f"'{text}'"


def annotation_name(annotation: Any) -> str:
    """DSPy's short name of a type: `str`, `list[str]`, `Literal['a', 'b']`, `Union[int, NoneType]`
    (a `Reasoning` reads as `str`)."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is types.UnionType:
        origin = Union
    if origin is None:
        if annotation is Reasoning:
            return "str"
        return getattr(annotation, "__name__", str(annotation))
    if origin is Literal:
        shown = ", ".join(_quoted(a) if isinstance(a, str) else annotation_name(a) for a in args)
        return f"Literal[{shown}]"
    return f"{annotation_name(origin)}[{', '.join(annotation_name(a) for a in args)}]"


def _custom_types(annotation: Any) -> list[type]:
    """Classes inside an annotation that describe themselves (`description()`), outermost first."""
    found: list[type] = []
    if isinstance(annotation, type) and callable(getattr(annotation, "description", None)):
        try:
            if isinstance(annotation.description(), str):
                found.append(annotation)
        except TypeError:
            pass
    for arg in get_args(annotation):
        found.extend(t for t in _custom_types(arg) if t not in found)
    return found


def _type_first(node: Any) -> Any:
    if isinstance(node, Mapping):
        keys = sorted(node, key=lambda k: (k != "type", k))
        return {k: _type_first(node[k]) for k in keys}
    if isinstance(node, list):
        return [_type_first(item) for item in node]
    return node


def output_note(annotation: Any) -> str:
    """The note DSPy writes after an output's placeholder ('' for text)."""
    if annotation is str or annotation is Reasoning:
        return ""
    if annotation is bool:
        return "must be True or False"
    if annotation in (int, float):
        return f"must be a single {annotation.__name__} value"
    if inspect.isclass(annotation) and issubclass(annotation, enum.Enum):
        return "must be one of: " + "; ".join(str(member.value) for member in annotation)
    if get_origin(annotation) is Literal:
        return "must exactly match (no extra characters) one of: " + "; ".join(
            str(a) for a in get_args(annotation)
        )
    if inspect.isclass(annotation) and issubclass(annotation, Code):
        return ""
    schema = _type_first(pydantic.TypeAdapter(annotation).json_schema())
    return "must adhere to the JSON schema: " + json.dumps(schema, ensure_ascii=False)


def placeholder(name: str, field: Any) -> str:
    note = output_note(field.annotation) if field.role == "output" else ""
    return f"{{{name}}}" + (" " * 8 + f"# note: the value you produce {note}" if note else "")


def describe(fields: dict[str, Any]) -> str:
    lines = []
    for i, (name, field) in enumerate(fields.items(), 1):
        text = field.desc or ""
        for kind in _custom_types(field.annotation):
            if kind.description():
                text += f"\n    Type description of {annotation_name(kind)}: {kind.description()}"
        line = f"{i}. `{name}` ({annotation_name(field.annotation)}): {text}"
        constraints = dict(field.extra).get("constraints")
        lines.append(line + (f"\nConstraints: {constraints}" if constraints else ""))
    return "\n".join(lines).strip()


# -- messages -------------------------------------------------------------------------------
class Layout:
    """DSPy's messages for one adapter kind: "chat" or "json"."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def system(self, signature: Any) -> str:
        described = (
            f"Your input fields are:\n{describe(signature.input_fields)}\n"
            f"Your output fields are:\n{describe(signature.output_fields)}"
        )
        lines = inspect.cleandoc(signature.instructions).splitlines()
        task = "In adhering to this structure, your objective is: " + ("\n" + " " * 8).join(
            ["", *lines]
        )
        return f"{described}\n{self.structure(signature)}\n{task}"

    def structure(self, signature: Any) -> str:
        def shown(fields: dict[str, Any]) -> str:
            return "\n\n".join(
                f"[[ ## {n} ## ]]\n{placeholder(n, f)}" for n, f in fields.items()
            ).strip()

        head = "All interactions will be structured in the following way, with the appropriate "
        head += "values filled in."
        if self.kind == "json":
            outputs = {n: placeholder(n, f) for n, f in signature.output_fields.items()}
            parts = [head, "Inputs will have the following structure:",
                     shown(signature.input_fields),
                     "Outputs will be a JSON object with the following fields.",
                     json.dumps(outputs, indent=2, ensure_ascii=False)]  # fmt: skip
        else:
            parts = [head, shown(signature.input_fields), shown(signature.output_fields),
                     COMPLETED + "\n"]  # fmt: skip
        return "\n\n".join(parts).strip()

    def request(self, signature: Any) -> str:
        def form(field: Any) -> str:
            if field.annotation is ToolCalls:
                return _TOOL_CALLS_FORM
            if field.annotation is str:
                return ""
            return f" (must be formatted as a valid Python {annotation_name(field.annotation)})"

        if self.kind == "json":
            order = ", then ".join(f"`{n}`{form(f)}" for n, f in signature.output_fields.items())
            return f"Respond with a JSON object in the following order of fields: {order}."
        order = ", then ".join(
            f"`[[ ## {n} ## ]]`{form(f)}" for n, f in signature.output_fields.items()
        )
        return (
            f"Respond with the corresponding output fields, starting with the field {order}, "
            f"and then ending with the marker for `{COMPLETED}`."
        )

    def user(self, signature: Any, values: dict[str, Any], prefix: str = "",
             main: bool = False) -> str:  # fmt: skip
        parts = [prefix, sections(signature.input_fields, values)]
        if main:
            parts.append(self.request(signature))
        return "\n\n".join(p for p in parts if p).strip()

    def assistant(self, signature: Any, values: dict[str, Any], missing: Any = None) -> str:
        filled = {n: values.get(n, missing) for n in signature.output_fields}
        if self.kind == "json":
            return json.dumps(jsonable(filled), indent=2, ensure_ascii=False)
        body = sections(signature.output_fields, filled)
        return f"{body}\n\n{COMPLETED}\n"

    def demos(self, signature: Any, demos: list[Any]) -> list[dict[str, Any]]:
        complete, partial = [], []
        for demo in demos:
            values = dict(demo.items()) if hasattr(demo, "items") else dict(demo)
            if all(values.get(n) is not None for n in signature.fields):
                complete.append(values)
            elif any(n in values for n in signature.input_fields) and any(
                n in values for n in signature.output_fields
            ):
                partial.append(values)
        messages = []
        kinds = ((partial, _PARTIAL, _NOT_IN_DEMO), (complete, "", _NOT_IN_TURN))
        for group, prefix, missing in kinds:  # partial demos first, as DSPy lays them out
            for values in group:
                messages.append({"role": "user", "content": self.user(signature, values, prefix)})
                reply = self.assistant(signature, values, missing)
                messages.append({"role": "assistant", "content": reply})
        return messages

    def history(self, signature: Any, value: Any, native: bool = False) -> list[dict[str, Any]]:
        """A History input's earlier turns (`signature`: without the History field). A turn's
        tool calls with their results are replayed as the provider's tool messages when
        `native` (native function calling), else as a user message of the results."""
        turns = value.messages if isinstance(value, History) else (value or {}).get("messages")
        messages: list[dict[str, Any]] = []
        for turn in turns or []:
            main = any(n in turn for n in signature.input_fields)
            content = self.user(signature, turn, main=main)
            if content:
                messages.append({"role": "user", "content": content})
            calls_name, calls = _tool_calls_in(turn)
            results = calls.tool_call_results if calls is not None else None
            if native and calls is not None:
                messages.extend(self._native_turn(signature, turn, calls, results))
                continue
            values = dict(turn)
            if results is not None:
                values[calls_name] = calls.model_copy(update={"tool_call_results": None})
            messages.append({"role": "assistant", "content": self.assistant(signature, values)})
            if results is not None:
                shown = json.dumps(results.model_dump(mode="json"), ensure_ascii=False)
                messages.append({"role": "user",
                                 "content": f"[[ ## tool_call_results ## ]]\n{shown}"})  # fmt: skip
        return messages

    def _native_turn(
        self, signature: Any, turn: dict[str, Any], calls: ToolCalls, results: Any
    ) -> list[dict[str, Any]]:
        """An earlier turn's assistant message with its tool calls, then one tool message per
        result (only when every call has an id and the results answer them in order)."""
        kept = signature
        for name, field in signature.output_fields.items():
            if field.annotation is ToolCalls or turn.get(name) is None:
                kept = kept.delete(name)
        content = self.assistant(kept, turn) if kept.output_fields else ""
        ids = [call.id for call in calls.tool_calls]
        if results is not None and (
            not all(ids) or ids != [r.call_id for r in results.tool_call_results]
        ):
            results = None
        messages: list[dict[str, Any]] = []
        if content or results is not None:
            message: dict[str, Any] = {"role": "assistant", "content": content or None}
            if results is not None:
                message["tool_calls"] = [
                    {"type": "function", "id": call.id,
                     "function": {"name": call.name, "arguments": json.dumps(call.args)}}
                    for call in calls.tool_calls
                ]  # fmt: skip
            messages.append(message)
        for result in results.tool_call_results if results is not None else []:
            value = result.value
            text = value if isinstance(value, str) else json.dumps(jsonable(value))
            messages.append({"role": "tool", "tool_call_id": result.call_id, "name": result.name,
                             "content": text})  # fmt: skip
        return messages

    def messages(
        self, signature: Any, demos: list[Any], inputs: dict[str, Any], history: Any = None
    ) -> list[dict[str, Any]]:
        """The whole request; `history(signature, name, inputs)` lays out a History input's
        turns (the adapter's `format_conversation_history`), default `self.history`. An Image
        or a File value is sent as its content part, within the message's text."""
        with collecting_parts() as parts:
            messages = self._messages(signature, demos, inputs, history)
        return [expand(message, parts) for message in messages] if parts else messages

    def _messages(
        self, signature: Any, demos: list[Any], inputs: dict[str, Any], history: Any
    ) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = [{"role": "system", "content": self.system(signature)}]
        messages.extend(self.demos(signature, demos))
        name = history_field(signature)
        if name is not None:
            inputs = dict(inputs)
            rest = signature.delete(name)
            if history is None:
                messages.extend(self.history(rest, inputs.pop(name, None)))
            else:
                messages.extend(history(rest, name, inputs))
            signature = rest
        content = self.user(signature, inputs, main=True)
        if content:
            messages.append({"role": "user", "content": content})
        return messages


def _tool_calls_in(turn: dict[str, Any]) -> tuple[str | None, ToolCalls | None]:
    for name, value in turn.items():
        if isinstance(value, ToolCalls):
            return name, value
    return None, None
