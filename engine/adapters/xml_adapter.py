"""The XML adapter: fields as `<name>value</name>` (DSPy's `XMLAdapter`).

Same message layout as the chat adapter (system message with the fields and the requested
reply, demos, a History input's earlier turns, then the inputs); only the field markup differs.
A reply that cannot be read gets one JSON fallback call, as with the chat adapter.
"""

from __future__ import annotations

import re
from typing import Any

from engine.adapters._fields import describe_fields
from engine.adapters.base import Adapter, cast_fields
from engine.adapters.history_turns import split_history
from engine.adapters.json_adapter import JSONAdapter
from engine.core import format_hint, format_value

# an element and its body (no nesting of the same name), across lines
_ELEMENT = re.compile(r"<([A-Za-z_][\w-]*)>(.*?)</\1\s*>", re.DOTALL)


def element(name: str, value: str) -> str:
    """`<name>\\nvalue\\n</name>`."""
    return f"<{name}>\n{value}\n</{name}>"


class XMLAdapter(Adapter):
    """Inputs and outputs as XML elements named after the fields."""

    def __init__(
        self,
        callbacks: list[Any] | None = None,
        use_native_function_calling: bool = False,
        native_response_types: list[type] | None = None,
        use_json_adapter_fallback: bool = True,
        parallel_tool_calls: bool | None = None,
    ) -> None:
        """DSPy's options (see `Adapter`); a reply that cannot be read gets one JSON fallback
        call unless `use_json_adapter_fallback=False`."""
        super().__init__(
            callbacks, use_native_function_calling, native_response_types, parallel_tool_calls
        )
        if use_json_adapter_fallback:
            self.fallback = JSONAdapter()

    # formatting ------------------------------------------------------------------------
    def system_message(self, signature: Any) -> str:
        template = [element(n, f"{{{n}}}") for n in signature.input_fields]
        template += [element(n, f"{{{n}}}") for n in signature.output_fields]
        return "\n\n".join(
            [
                "Your input fields are:\n" + describe_fields(signature.input_fields),
                "Your output fields are:\n" + describe_fields(signature.output_fields),
                "All interactions will be structured in the following way, with the appropriate "
                "values filled in.",
                "\n\n".join(template),
                "In adhering to this structure, your objective is: \n        "
                + signature.instructions,
                self.output_request(signature),
            ]
        )

    def output_request(self, signature: Any) -> str:
        """How the reply must be laid out: each output as its element, in order."""
        parts = []
        for name, field in signature.output_fields.items():
            hint = format_hint(field.annotation)
            parts.append(f"`<{name}>`" + (f" (the value {hint})" if hint else ""))
        return "Respond with the corresponding output fields wrapped in XML tags " + (
            ", then ".join(parts) + "."
        )

    def format_fields(self, names: Any, values: dict[str, Any]) -> str:
        return "\n\n".join(element(n, format_value(values[n])) for n in names if n in values)

    def format(
        self, signature: Any, demos: list[Any], inputs: dict[str, Any]
    ) -> list[dict[str, str]]:
        messages = [{"role": "system", "content": self.cached_system_message(signature)}]
        signature, inputs, turns = split_history(signature, inputs)
        for demo in [*demos, *turns]:
            values = dict(demo.items()) if hasattr(demo, "items") else dict(demo)
            if not any(n in values for n in signature.input_fields):
                continue
            if not any(n in values for n in signature.output_fields):
                continue
            messages.append(
                {"role": "user", "content": self.format_fields(signature.input_fields, values)}
            )
            messages.append(
                {
                    "role": "assistant",
                    "content": self.format_fields(signature.output_fields, values),
                }
            )
        messages.append(
            {"role": "user", "content": self.format_fields(signature.input_fields, inputs)}
        )
        return messages

    def retry_request(self, signature: Any) -> str:
        names = ", ".join(f"<{n}>" for n in signature.output_fields)
        return f"Your answer could not be read. Answer again with only the elements {names}."

    # parsing ---------------------------------------------------------------------------
    def parse(self, signature: Any, text: str) -> dict[str, Any]:
        """The output fields' elements (the first of each name); missing ones raise."""
        raw: dict[str, str] = {}
        for match in _ELEMENT.finditer(text):
            name = match.group(1)
            if name in signature.output_fields and name not in raw:
                raw[name] = match.group(2).strip()
        return cast_fields(signature, raw, text)
