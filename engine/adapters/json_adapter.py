"""The JSON adapter: the LM answers with one JSON object holding the output fields."""

from __future__ import annotations

import ast
import json
from typing import Any

from engine.adapters import dspy_layout
from engine.adapters._fields import describe_fields
from engine.adapters.base import Adapter, cast_fields
from engine.adapters.history_turns import split_history, tool_results_message
from engine.adapters.replies.reply_contract import structured_kwargs
from engine.core import AdapterParseError, format_hint, format_value


class JSONAdapter(Adapter):
    """Inputs as `name: value` blocks; outputs as a JSON object with the output field names."""

    def __init__(
        self,
        callbacks: list[Any] | None = None,
        use_native_function_calling: bool = True,
        native_response_types: list[type] | None = None,
        parallel_tool_calls: bool | None = None,
        *,
        dspy_prompts: bool | None = None,
    ) -> None:
        """DSPy's options and defaults (see `Adapter`); `dspy_prompts` as in `ChatAdapter`."""
        super().__init__(
            callbacks, use_native_function_calling, native_response_types, parallel_tool_calls
        )
        wanted = dspy_layout.wanted_by_default() if dspy_prompts is None else dspy_prompts
        self.dspy_prompts = bool(wanted)

    def format_system_message(self, signature: Any) -> str:
        """The system message (DSPy's name): DSPy's own with `dspy_prompts`."""
        if getattr(self, "dspy_prompts", False):
            return dspy_layout.Layout("json").system(signature)
        return self.system_message(signature)

    def system_message(self, signature: Any) -> str:
        keys = []
        for name, field in signature.output_fields.items():
            hint = format_hint(field.annotation)
            keys.append(
                f'  "{name}": <{field.type_name}>' + (f"  (the value {hint})" if hint else "")
            )
        return "\n\n".join(
            [
                "Your input fields are:\n" + describe_fields(signature.input_fields),
                "Your output fields are:\n" + describe_fields(signature.output_fields),
                "Answer with a single JSON object and nothing else, with these keys:\n{\n"
                + ",\n".join(keys)
                + "\n}",
                "Your objective is: " + signature.instructions,
            ]
        )

    def _inputs(self, signature: Any, values: dict[str, Any]) -> str:
        return "\n\n".join(
            f"{n}: {format_value(values[n])}" for n in signature.input_fields if n in values
        )

    def format(
        self, signature: Any, demos: list[Any], inputs: dict[str, Any]
    ) -> list[dict[str, str]]:
        if getattr(self, "dspy_prompts", False):
            layout = dspy_layout.Layout("json")
            native = self.use_native_function_calling
            return layout.messages(signature, demos, inputs,
                                   lambda sig, name, values: layout.history(
                                       sig, values.pop(name, None), native))  # fmt: skip
        messages = [{"role": "system", "content": self.cached_system_message(signature)}]
        signature, inputs, turns = split_history(signature, inputs)  # History: earlier turns
        for demo in [*demos, *turns]:  # then a History input's earlier turns
            values = dict(demo.items()) if hasattr(demo, "items") else dict(demo)
            outs = {n: values[n] for n in signature.output_fields if n in values}
            if not outs or not any(n in values for n in signature.input_fields):
                continue
            messages.append({"role": "user", "content": self._inputs(signature, values)})
            messages.append(
                {"role": "assistant", "content": json.dumps(outs, ensure_ascii=False, default=str)}
            )
            results = tool_results_message(values)  # the turn's tool calls' results, if kept
            if results is not None:
                messages.append(results)
        names = ", ".join(f'"{n}"' for n in signature.output_fields)
        request = f"Respond with a JSON object with the keys {names}."  # before the inputs
        messages.append(
            {"role": "user", "content": request + "\n\n" + self._inputs(signature, inputs)}
        )
        return messages

    def decoding_kwargs(
        self, lm: Any, signature: Any, demos: Any = (), one_line: Any = ()
    ) -> dict[str, Any]:
        """On a served or hosted model that takes one, the reply's JSON schema
        (`structured_kwargs`); nothing on the embedded model."""
        if getattr(lm, "supports_stop", False):
            return {}
        return structured_kwargs(lm, signature.output_fields)

    def retry_request(self, signature: Any) -> str:
        keys = []
        for name, field in signature.output_fields.items():
            hint = format_hint(field.annotation)
            keys.append(f'"{name}"' + (f" (the value {hint})" if hint else ""))
        return (
            "Your answer could not be read. Answer again with only a JSON object with the keys "
            + ", ".join(keys)
            + "."
        )

    def parse(self, signature: Any, text: str) -> dict[str, Any]:
        obj = _find_object(text)
        if not isinstance(obj, dict):
            raise AdapterParseError(
                "the LM output holds no JSON object",
                raw_text=text,
                missing=list(signature.output_fields),
            )
        lowered = {str(k).lower(): v for k, v in obj.items()}
        raw = {}
        for name in signature.output_fields:
            if name.lower() in lowered:
                value = lowered[name.lower()]
                raw[name] = value if isinstance(value, str) else json.dumps(value)
        return cast_fields(signature, raw, text)


def _find_object(text: str) -> Any:
    """The first decodable JSON object in the text (code fences and chatter allowed); else a
    Python dict literal (`{'answer': 'x'}`: models often write one), read without running
    anything (`ast.literal_eval`)."""
    decoder = json.JSONDecoder()
    index = text.find("{")
    while index >= 0:
        try:
            obj, _ = decoder.raw_decode(text, index)
            return obj
        except ValueError:
            index = text.find("{", index + 1)
    return _python_dict(text)


def _python_dict(text: str) -> dict[str, Any] | None:
    """The outermost `{...}` of the text read as a Python literal, if it is a dict."""
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        return None
    try:
        value = ast.literal_eval(text[start : end + 1])
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    return value if isinstance(value, dict) else None
