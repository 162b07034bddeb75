"""A `History` input (`engine.core._field_types.History`) as earlier conversation turns, as DSPy's
adapters lay it out: the field leaves the signature, and each of its messages becomes a user
turn (the input fields it holds) and an assistant turn (the output fields it holds), after the
demos and before the current inputs."""

from __future__ import annotations

import json
from typing import Any

from engine.core import History, ToolCalls, strip_optional


def history_field(signature: Any) -> str | None:
    """The first input field typed `History`, or None."""
    for name, field in signature.input_fields.items():
        annotation = strip_optional(field.annotation)
        if isinstance(annotation, type) and issubclass(annotation, History):
            return name
    return None


def split_history(
    signature: Any, inputs: dict[str, Any]
) -> tuple[Any, dict[str, Any], list[dict[str, Any]]]:
    """(the signature without its History field, the inputs without it, the earlier turns:
    one dict of fields per message). Unchanged, with no turns, when there is no such field."""
    name = history_field(signature)
    if name is None:
        return signature, inputs, []
    rest = {k: v for k, v in inputs.items() if k != name}
    value = inputs.get(name)
    if value is None:
        messages: list[Any] = []
    elif isinstance(value, History):
        messages = list(value.messages)
    elif isinstance(value, dict) and "messages" in value:
        messages = list(History(**value).messages)
    else:
        raise TypeError(
            f"input {name!r} is a History field: pass History(messages=[...]), "
            f"not {type(value).__name__}"
        )
    return signature.delete(name), rest, [dict(m) for m in messages]


TOOL_RESULTS_HEADER = "[[ ## tool_call_results ## ]]"


def tool_results_message(turn: dict[str, Any]) -> dict[str, str] | None:
    """The user message that follows an earlier turn whose tool calls carry their results
    (`ToolCalls(tool_call_results=...)`): the results as JSON under their own header, as a
    non-native conversation shows them. None when the turn holds no results."""
    found = []
    for value in turn.values():
        results = value.tool_call_results if isinstance(value, ToolCalls) else None
        if results is not None:
            for result in results.tool_call_results:
                found.append({k: v for k, v in result.model_dump(mode="json").items()
                              if v is not None})  # fmt: skip
    if not found:
        return None
    body = json.dumps(found, ensure_ascii=False, default=str)
    return {"role": "user", "content": f"{TOOL_RESULTS_HEADER}\n{body}"}
