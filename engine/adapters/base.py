"""Adapter base: format a signature + demos + inputs into messages, parse the LM text back."""

from __future__ import annotations

import logging
import weakref
from collections.abc import Sequence
from typing import Any

from engine.adapters import native_calls
from engine.adapters.dspy_values import expand
from engine.adapters.replies.choice_offsets import OPTION as CHOICE_OFFSETS
from engine.adapters.replies.fallback_record import FallbackRecord
from engine.adapters.replies.one_line_values import OPTION as ONE_LINE_OUTPUTS
from engine.core import (
    AdapterParseError,
    CastError,
    Reasoning,
    active_callbacks,
    audio_parts,
    call_heard,
    cast_value,
    hear_reply,
    is_optional,
    reply_extras,
)

logger = logging.getLogger(__name__)

# signature -> {adapter class: (its fields, its instructions, the system message)}
_SYSTEM_MESSAGES: weakref.WeakKeyDictionary[Any, dict[type, tuple[Any, str, str]]] = (
    weakref.WeakKeyDictionary()
)


class Adapter:
    """Subclasses implement `format()` and `parse()`; `__call__` runs one LM round trip.

    On a parse failure the adapter first tries its own repairs (in `parse`), then, if a
    `fallback` adapter is set, spends one more call with it, unless that prompt's fallbacks
    have all failed so far (`fallback_record`). If that fails too, the first error (with the
    first raw text) is raised, never hidden.
    """

    fallback: Adapter | None = None
    fallback_record: FallbackRecord = FallbackRecord()  # shared by every adapter
    callbacks: list[Any] | None = None
    use_native_function_calling: bool = False
    native_response_types: tuple[type, ...] = (Reasoning,)
    parallel_tool_calls: bool | None = None

    def __init__(
        self,
        callbacks: list[Any] | None = None,
        use_native_function_calling: bool = False,
        native_response_types: list[type] | None = None,
        parallel_tool_calls: bool | None = None,
    ) -> None:
        """DSPy's adapter options. `callbacks` hear this adapter's format and parse calls
        (`on_adapter_format_*`, `on_adapter_parse_*`). `use_native_function_calling`: a
        signature with `list[Tool]` in and `ToolCalls` out uses the provider's function calling
        (`parallel_tool_calls` asks for several calls at once); `native_response_types`: output
        types the LM fills natively (default `Reasoning`), see `engine.adapters.native_calls`.
        The engine's ReAct writes its tool calls as fields either way."""
        if callbacks is not None and not isinstance(callbacks, list | tuple):
            raise TypeError(f"callbacks must be a list of BaseCallback, got {type(callbacks)!r}")
        self.callbacks = list(callbacks) if callbacks else None
        self.use_native_function_calling = bool(use_native_function_calling)
        self.native_response_types = list(native_response_types or [Reasoning])
        self.parallel_tool_calls = parallel_tool_calls

    def format(
        self, signature: Any, demos: list[Any], inputs: dict[str, Any]
    ) -> list[dict[str, str]]:
        raise NotImplementedError

    def cached_system_message(self, signature: Any) -> str:
        """`self.system_message(signature)`, built once per signature and adapter class. A
        signature's fields and instructions are replaced, never edited in place (its fields are
        frozen), so a changed signature builds its message anew."""
        fields, instructions = signature._fields, signature.instructions
        kept = _SYSTEM_MESSAGES.setdefault(signature, {})
        hit = kept.get(type(self))
        if hit is not None and hit[0] is fields and hit[1] == instructions:
            return hit[2]
        text = self.system_message(signature)
        kept[type(self)] = (fields, instructions, text)
        return text

    def parse(self, signature: Any, text: str) -> dict[str, Any]:
        raise NotImplementedError

    def format_reply(self, signature: Any, outputs: dict[str, Any]) -> str:
        """The assistant message that answers with `outputs`, written as this adapter writes a
        demo's answer (fine-tuning rows end with it)."""
        inputs = {name: "" for name in signature.input_fields}
        messages = self.format(signature, [{**inputs, **outputs}], inputs)
        replies = [m["content"] for m in messages if m["role"] == "assistant"]
        if not replies:
            raise ValueError(f"{type(self).__name__} wrote no answer for outputs {outputs!r}")
        return replies[-1]

    def __call__(
        self,
        lm: Any,
        lm_kwargs: dict[str, Any],
        signature: Any,
        demos: list[Any],
        inputs: dict[str, Any],
    ) -> list[dict[str, Any]]:
        lm_kwargs = dict(lm_kwargs)
        original, signature = signature, self._call_preprocess(lm, lm_kwargs, signature, inputs)
        callbacks = active_callbacks(self)
        if callbacks:  # told of format and parse; nothing extra when nobody listens
            messages = call_heard(
                callbacks, "adapter_format", self,
                {"signature": signature, "demos": demos, "inputs": inputs},
                lambda: self.request(signature, demos, inputs),
            )  # fmt: skip
        else:
            messages = self.request(signature, demos, inputs)
        offsets = lm_kwargs.pop(CHOICE_OFFSETS, None) or {}
        one_line = lm_kwargs.pop(ONE_LINE_OUTPUTS, None) or ()
        decoding = {
            k: v
            for k, v in self.decoding_kwargs(lm, signature, demos, one_line).items()
            if k not in lm_kwargs
        }
        if offsets and getattr(lm, "supports_stop", False):  # only the embedded model does
            decoding.update(self.choice_bias_kwargs(signature, offsets))
        outputs = lm(messages=messages, **decoding, **lm_kwargs)
        hear_reply(outputs)
        parse = self.parse
        if callbacks:

            def parse(signature: Any, text: str) -> dict[str, Any]:
                return call_heard(
                    callbacks, "adapter_parse", self,
                    {"signature": signature, "completion": text},
                    lambda: self.parse(signature, text),
                )  # fmt: skip

        results = []
        for text in outputs:
            if signature is not original or reply_extras(text):  # native tool calls, reasoning
                results.append(native_calls.finish(
                    parse, signature, original, text,
                    lambda error: self._fallback(lm, lm_kwargs, signature, demos, inputs, error),
                ))  # fmt: skip
                continue
            try:
                results.append(parse(signature, text))
            except AdapterParseError as first_error:
                results.append(self._fallback(lm, lm_kwargs, signature, demos, inputs, first_error))
        return results

    def request(
        self, signature: Any, demos: list[Any], inputs: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """The messages sent: `format()`'s, with each `Audio` value's text replaced by its
        `input_audio` content part (a provider takes sound as a part, not as text)."""
        messages = self.format(signature, demos, inputs)
        parts = audio_parts([inputs, demos])
        return [expand(message, parts) for message in messages] if parts else messages

    def _call_preprocess(
        self, lm: Any, lm_kwargs: dict[str, Any], signature: Any, inputs: dict[str, Any]
    ) -> Any:
        """The signature the prompt is written for: native tool calling and reasoning take
        their fields out of it; `lm_kwargs` gets `tools=` / `reasoning_effort` in place
        (DSPy's name; `engine.adapters.native_calls.prepare`)."""
        return native_calls.prepare(self, lm, lm_kwargs, signature, inputs)

    def _call_postprocess(
        self,
        processed_signature: Any,
        original_signature: Any,
        outputs: list[Any],
        lm: Any,
        lm_kwargs: dict[str, Any],
    ) -> list[dict[str, Any]]:
        """Each output's fields for `original_signature`: its text parsed with the processed
        signature, then the provider's tool calls and reasoning (DSPy's name)."""
        return [
            native_calls.finish(self.parse, processed_signature, original_signature, output)
            for output in outputs
        ]

    def _fallback(
        self,
        lm: Any,
        lm_kwargs: dict[str, Any],
        signature: Any,
        demos: list[Any],
        inputs: dict[str, Any],
        first_error: AdapterParseError,
    ) -> dict[str, Any]:
        """One more call that continues the same conversation: the failed answer, then a request
        to answer again in the fallback format. Sharing the whole prompt prefix keeps it cheap on
        local models (the KV cache is reused) and lets the model see what it got wrong."""
        if self.fallback is None:
            raise first_error
        if first_error.absent == []:
            # Every field was there in the right format, but a value was not acceptable (say, a
            # label outside the choices). Asking again in JSON repeats that choice: on banking77
            # none of these fallback calls produced a valid answer, and they were 16% of calls.
            raise first_error
        asked = self.request(signature, demos, inputs)
        family = self.fallback_record.family(lm, lm_kwargs, asked)
        if not self.fallback_record.worth_trying(family):
            tried = self.fallback_record.failures_before_skip
            raise AdapterParseError(
                f"{first_error.args[0]} (no {type(self.fallback).__name__} fallback call: the "
                f"first {tried} for this prompt all failed)",
                raw_text=first_error.raw_text,
                missing=first_error.missing,
                absent=first_error.absent,
            ) from None
        logger.debug(
            "parse failed (%s); one fallback call with %s",
            first_error.missing,
            type(self.fallback).__name__,
        )
        messages = asked + [
            {"role": "assistant", "content": first_error.raw_text},
            {"role": "user", "content": self.fallback.retry_request(signature)},
        ]
        text = lm(messages=messages, **{**lm_kwargs, "n": 1})[0]
        hear_reply([text])
        try:
            parsed = self.fallback.parse(signature, text)
        except AdapterParseError:
            self.fallback_record.record(family, succeeded=False)
            raise first_error from None
        self.fallback_record.record(family, succeeded=True)
        return parsed

    def decoding_kwargs(
        self, lm: Any, signature: Any, demos: Sequence[Any] = (), one_line: Sequence[str] = ()
    ) -> dict[str, Any]:
        """Extra LM arguments this format benefits from on `lm` (e.g. stop sequences), given
        the call's `demos` and the open outputs the task writes on one line (`one_line`:
        `Predict.one_line_outputs`); the caller's own arguments win."""
        return {}

    def choice_bias_kwargs(self, signature: Any, offsets: dict[str, Any]) -> dict[str, Any]:
        """LM arguments that shift closed choices by a predictor's learned `offsets`
        ({field: {value: offset}}); none in a format without closed choices."""
        return {}

    def read_choice_scores(self, signature: Any, raw: dict[str, Any]) -> dict[str, Any]:
        """The model's scores at closed choices (`Scores`, `engine.core`) by output field;
        none in a format without closed choices."""
        return {}

    def retry_request(self, signature: Any) -> str:
        """What to ask when another adapter's answer could not be read (see `_fallback`)."""
        raise NotImplementedError


def cast_fields(
    signature: Any, raw: dict[str, str], text: str, found: Any = None
) -> dict[str, Any]:
    """Cast raw field texts to the output types; missing or uncastable fields raise one error.

    `found`: the fields the reply held in the expected format (default: those in `raw`); the
    others are reported as `absent` (repairs may have recovered a value for them).
    """
    values: dict[str, Any] = {}
    problems: list[str] = []
    missing: list[str] = []
    for name, field in signature.output_fields.items():
        if name not in raw:
            if absent_value(field, values):
                continue
            missing.append(name)
            continue
        try:
            values[name] = cast_value(raw[name], field.annotation)
        except CastError as exc:
            missing.append(name)
            problems.append(f"{name}: {exc}")
    if missing:
        detail = "; ".join(problems) if problems else f"missing field(s) {missing}"
        found = set(raw) if found is None else set(found)
        raise AdapterParseError(
            f"could not parse the LM output into {list(signature.output_fields)} ({detail})",
            raw_text=text,
            missing=missing,
            absent=[n for n in signature.output_fields if n not in found],
        )
    return values


def absent_value(field: Any, values: dict[str, Any]) -> bool:
    """Fill `values` for an output the reply left out when it may be absent, as DSPy does: its
    `default=` if it has one, else None if its type allows None. False if it is required."""
    if not field.is_required():
        values[field.name] = field.get_default()
        return True
    if is_optional(field.annotation) or field.annotation is None:
        values[field.name] = None
        return True
    return False
