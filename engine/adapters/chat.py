"""The chat adapter: fields as `[[ ## name ## ]]` sections in chat messages.

The system message ends with the request for the outputs and the demos follow, so consecutive
calls of one candidate share their prompt up to the inputs; the last user message holds only the
inputs, as the demos' do (docs/design/DEVIATIONS.md, 6: why, with the measurements).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from engine.adapters import dspy_layout
from engine.adapters._fields import describe_fields
from engine.adapters.base import Adapter, cast_fields
from engine.adapters.history_turns import history_field, split_history, tool_results_message
from engine.adapters.json_adapter import JSONAdapter
from engine.adapters.replies import choice_offsets
from engine.adapters.replies.one_line_values import one_line_kwargs, one_line_open
from engine.adapters.replies.reply_contract import closed_values, structured_kwargs
from engine.adapters.replies.reply_loops import loop_kwargs
from engine.adapters.replies.section_header import HEADER as _HEADER
from engine.core import (
    REPLY_CLOSED,
    REPLY_DRAFTS,
    REPLY_NUMBER,
    REPLY_SECTIONS,
    REPLY_START,
    REPLY_TEXT,
    Section,
    format_hint,
    format_value,
    literal_choices,
    strip_optional,
)

COMPLETED = "completed"
# A line opening like a header but with one bracket ("[## answer##]", "[#1]", "[#]"): SmolLM2
# writes it where a section should end and then repeats it until max_tokens. A real header
# starts "[["; stopping there ends the value (a later output then missing is written from its
# header: `reply_sections`, engine.core._reply_hints).
MALFORMED_HEADER = "\n[#"
HEADER_LINE = "\n[[ ##"  # a line opening a header: the sections continuation writes the rest
_PARTIAL_DEMO_NOTE = (
    "This is an example of the task, though some input or output fields are not supplied."
)


def section(name: str, value: str) -> str:
    return f"[[ ## {name} ## ]]\n{value}"


def _placeholder(name: str, field: Any) -> str:
    """`{name}` plus a note on the value's form. Literal choices are shown once, in the field
    list: repeating them as a trailing note made SmolLM2-135M pick the last choice more often
    (banking77, one demo per intent: 10/36 -> 13/36 and 8/36 -> 10/36 without the note)."""
    if literal_choices(field.annotation) is not None:
        return f"{{{name}}}"
    hint = format_hint(field.annotation)
    return f"{{{name}}}" + (f"        # note: the value you produce {hint}" if hint else "")


def _one_line(field: Any) -> bool:
    """Whether the field's values are written on one line (choices, numbers, bools, and
    labels listed in a `str` field's description)."""
    annotation = strip_optional(field.annotation)
    if literal_choices(annotation) is not None or annotation in (bool, int, float):
        return True
    return closed_values(field) is not None


def _plain_text(field: Any) -> bool:
    """Whether the field's values are free text (a `str` with no closed values): the embedded
    model then never opens it like the format section (`engine.lm.local._placeholder_echo`)."""
    return strip_optional(field.annotation) is str and closed_values(field) is None


def _demo_values(demo: Any) -> dict[str, Any]:
    """A demo (an Example or a mapping) as a dict of its fields."""
    return dict(demo.items()) if hasattr(demo, "items") else dict(demo)


def _number(field: Any) -> str | None:
    """The kind ("int" or "float") of a number output written with number tokens
    (`reply_number`, `engine.core._reply_hints`), else None (also for an int closed by its
    description)."""
    annotation = strip_optional(field.annotation)
    if annotation not in (int, float) or closed_values(field):
        return None
    return annotation.__name__


def reply_sections(outputs: list[tuple[str, Any]]) -> list[dict[str, Any]]:
    """The outputs after the first, for `reply_sections` (`engine.core._reply_hints`): header,
    closed values, budget (16 tokens for a one-line value, 48 for open text), number kind and
    whether it is plain text."""
    sections = []
    for name, field in outputs[1:]:
        choices = closed_values(field)
        budget = 16 if _one_line(field) else 48
        values = tuple(format_value(c) for c in choices) if choices else ()
        number = _number(field)
        text = _plain_text(field)
        sections.append(Section(section(name, ""), values, budget, number, text).to_param())
    return sections


def reply_drafts(outputs: list[tuple[str, Any]]) -> list[str]:
    """How a reply starts: the first output's header, then, if it is a choice or a bool (or a
    `str` whose description lists its labels), one of its values as the demos write them
    (later outputs: `reply_sections`)."""
    if not outputs:
        return []
    name, field = outputs[0]
    header = section(name, "")
    choices = closed_values(field)
    if not choices:
        return [header]
    return [f"{header}{format_value(choice)}\n" for choice in choices]


class ChatAdapter(Adapter):
    """Default adapter. Falls back to the JSON adapter only when repairs fail."""

    def __init__(
        self,
        callbacks: list[Any] | None = None,
        use_native_function_calling: bool = False,
        native_response_types: list[type] | None = None,
        use_json_adapter_fallback: bool = True,
        *,
        use_json_fallback: bool | None = None,
        parallel_tool_calls: bool | None = None,
        dspy_prompts: bool | None = None,
    ) -> None:
        """DSPy's options (see `Adapter`); `use_json_adapter_fallback` (or the engine's older
        name `use_json_fallback`): when a reply cannot be read, one more call in JSON.
        `dspy_prompts=True`: DSPy's message layout word for word (`engine.adapters.dspy_layout`;
        default: `TUNESMITH_DSPY_PROMPTS=1`, else the engine's prefix-friendly layout)."""
        super().__init__(
            callbacks, use_native_function_calling, native_response_types, parallel_tool_calls
        )
        wanted = dspy_layout.wanted_by_default() if dspy_prompts is None else dspy_prompts
        self.dspy_prompts = bool(wanted)
        if use_json_fallback is not None:
            use_json_adapter_fallback = use_json_fallback
        if use_json_adapter_fallback:
            self.fallback = JSONAdapter()

    # formatting ------------------------------------------------------------------------
    def format_system_message(self, signature: Any) -> str:
        """The system message (DSPy's name): DSPy's own with `dspy_prompts`."""
        if getattr(self, "dspy_prompts", False):
            return dspy_layout.Layout("chat").system(signature)
        return self.system_message(signature)

    def system_message(self, signature: Any) -> str:
        parts = [
            "Your input fields are:\n" + describe_fields(signature.input_fields),
            "Your output fields are:\n" + describe_fields(signature.output_fields),
            "All interactions will be structured in the following way, with the appropriate "
            "values filled in.",
        ]
        template = [section(n, f"{{{n}}}") for n in signature.input_fields]
        template += [section(n, _placeholder(n, f)) for n, f in signature.output_fields.items()]
        template.append(f"[[ ## {COMPLETED} ## ]]")
        parts.append("\n\n".join(template))
        parts.append(
            "In adhering to this structure, your objective is: \n        " + signature.instructions
        )
        parts.append(self.output_request(signature))
        return "\n\n".join(parts)

    def format_inputs(self, signature: Any, values: dict[str, Any]) -> str:
        return "\n\n".join(
            section(n, format_value(values[n])) for n in signature.input_fields if n in values
        )

    def format_outputs(self, signature: Any, values: dict[str, Any]) -> str:
        body = [section(n, format_value(values[n])) for n in signature.output_fields if n in values]
        body.append(f"[[ ## {COMPLETED} ## ]]")
        return "\n\n".join(body)

    def format_reply(self, signature: Any, outputs: dict[str, Any]) -> str:
        return self.format_outputs(signature, outputs)

    def output_request(self, signature: Any) -> str:
        """How the reply must be laid out; the system message ends with it. Literal choices are
        not repeated here: small models copy the last choice they read (measured on
        SmolLM2-135M); the field list has them."""
        parts = []
        for n, f in signature.output_fields.items():
            hint = "" if literal_choices(f.annotation) is not None else format_hint(f.annotation)
            parts.append(f"`[[ ## {n} ## ]]`" + (f" (the value {hint})" if hint else ""))
        order = ", then ".join(parts)
        return (
            f"Respond with the corresponding output fields, starting with the field {order}, "
            f"and then ending with the marker for `[[ ## {COMPLETED} ## ]]`."
        )

    def format_demo(self, signature: Any, demo: Any) -> list[dict[str, str]]:
        values = _demo_values(demo)
        has_inputs = [n for n in signature.input_fields if n in values]
        has_outputs = [n for n in signature.output_fields if n in values]
        if not has_inputs or not has_outputs:
            return []
        complete = len(has_inputs) == len(signature.input_fields) and len(has_outputs) == len(
            signature.output_fields
        )
        user = self.format_inputs(signature, values)
        if not complete:
            user = _PARTIAL_DEMO_NOTE + "\n\n" + user
        return [
            {"role": "user", "content": user},
            {"role": "assistant", "content": self.format_outputs(signature, values)},
        ]

    def format(
        self, signature: Any, demos: list[Any], inputs: dict[str, Any]
    ) -> list[dict[str, str]]:
        if getattr(self, "dspy_prompts", False):
            layout = dspy_layout.Layout("chat")
            return layout.messages(signature, demos, inputs, self.format_conversation_history)
        messages = [{"role": "system", "content": self.cached_system_message(signature)}]
        for demo in demos:
            messages.extend(self.format_demo(signature, demo))
        # a History input: its earlier turns, then the inputs without it (as DSPy lays it out)
        name = history_field(signature)
        if name is not None:
            inputs = dict(inputs)
            messages.extend(self.format_conversation_history(signature, name, inputs))
            signature = signature.delete(name)
        messages.append({"role": "user", "content": self.format_inputs(signature, inputs)})
        return messages

    def format_conversation_history(
        self, signature: Any, history_field_name: str, inputs: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """The messages of a History input's earlier turns (a user message of each turn's
        inputs, an assistant message of its outputs, and its tool calls' results if kept);
        removes the field from `inputs`. DSPy's hook: override it to lay history out otherwise."""
        if getattr(self, "dspy_prompts", False):
            rest = signature.delete(history_field_name) if (
                history_field_name in signature.input_fields) else signature  # fmt: skip
            value = inputs.pop(history_field_name, None)
            return dspy_layout.Layout("chat").history(rest, value, self.use_native_function_calling)
        rest, _, turns = split_history(signature, inputs)
        inputs.pop(history_field_name, None)
        messages: list[dict[str, Any]] = []
        for turn in turns:
            messages.append({"role": "user", "content": self.format_inputs(rest, turn)})
            messages.append({"role": "assistant", "content": self.format_outputs(rest, turn)})
            results = tool_results_message(turn)  # the turn's tool calls' results, if kept
            if results is not None:
                messages.append(results)
        return messages

    def decoding_kwargs(
        self, lm: Any, signature: Any, demos: Any = (), one_line: Sequence[str] = ()
    ) -> dict[str, Any]:
        """On the embedded model: stop sequences, the reply's start and reply drafts (the
        first output's header, then each choice of a closed first output), the closed flag, the
        plain-text flag, the later outputs' sections, and the loop, one-line and number rules for
        open and number values. Each is described, with what it measured, in
        docs/design/DEVIATIONS.md (6, 10, 14, 15 and 21)."""
        if not getattr(lm, "supports_stop", False):  # a served or hosted model: a schema
            return structured_kwargs(lm, signature.output_fields)
        stop = [f"[[ ## {COMPLETED}", MALFORMED_HEADER]
        outputs = list(signature.output_fields.items())
        if len(outputs) == 1 and _one_line(outputs[0][1]):
            stop.insert(0, "\n\n")
        stop.append(HEADER_LINE)
        drafts = reply_drafts(outputs)
        kwargs: dict[str, Any] = {"stop": stop, REPLY_DRAFTS: drafts}
        open_names = [name for name, field in outputs if not _one_line(field)]
        rows = [_demo_values(demo) for demo in demos or ()]
        if one_line_open(open_names, rows, one_line):  # later outputs: from their headers
            kwargs.update(one_line_kwargs())
        elif open_names:
            kwargs.update(loop_kwargs())
        if outputs:
            kwargs[REPLY_START] = section(outputs[0][0], "")
        if outputs and closed_values(outputs[0][1]):  # its values are the only replies
            kwargs[REPLY_CLOSED] = True
        number = _number(outputs[0][1]) if outputs else None
        if number:  # written with number tokens only
            kwargs[REPLY_NUMBER] = number
        if outputs and _plain_text(outputs[0][1]):  # never opens like the format section
            kwargs[REPLY_TEXT] = True
        if len(outputs) > 1:
            sections = reply_sections(outputs)
            kwargs[REPLY_SECTIONS] = sections
            # a choice's or a number's header ends the model's own writing: its value is then
            # picked closed or written with number tokens
            stop.extend(s["header"].strip() for s in sections if s["values"] or s.get("number"))
        return kwargs

    def choice_bias_kwargs(self, signature: Any, offsets: dict[str, Any]) -> dict[str, Any]:
        """`reply_bias` for the embedded model (`engine.adapters.replies.choice_offsets`)."""
        return choice_offsets.bias_kwargs(signature, offsets)

    def read_choice_scores(self, signature: Any, raw: dict[str, Any]) -> dict[str, Any]:
        return choice_offsets.field_scores(signature, raw)

    # parsing ---------------------------------------------------------------------------
    def parse(self, signature: Any, text: str) -> dict[str, Any]:
        """The outputs from the reply's sections, or from a structured reply (a JSON object
        holding them: `structured_kwargs`); near misses are repaired (`repair`)."""
        sections = split_sections(text, signature) or json_fields(text, signature)
        missing = [n for n in signature.output_fields if n not in sections]
        raw = {**repair(text, signature, missing), **sections} if missing else sections
        return cast_fields(signature, raw, text, found=sections)


def split_sections(text: str, signature: Any) -> dict[str, str]:
    """Map field name -> text between its header and the next header (case-insensitive); a
    field's first non-empty section, if a header comes twice (a malformed echo may open it
    with nothing under it)."""
    known = {n.lower(): n for n in list(signature.output_fields) + list(signature.input_fields)}
    known[COMPLETED] = COMPLETED
    found: dict[str, str] = {}
    matches = list(_HEADER.finditer(text))
    for i, match in enumerate(matches):
        key = match.group(1).strip().lower().replace(" ", "_")
        name = known.get(key)
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        if name and name != COMPLETED and name in signature.output_fields and not found.get(name):
            found[name] = text[match.end() : end].strip()
    return found


def repair(text: str, signature: Any, missing: list[str]) -> dict[str, str]:
    """Recover fields from near-miss outputs before paying for a fallback call."""
    cleaned = _HEADER.sub("", text).strip()
    out: dict[str, str] = {}
    # "Name: value" lines (models often echo field prefixes instead of headers)
    for name in missing:
        field = signature.output_fields[name]
        for label in {name, field.prefix.rstrip(":"), name.replace("_", " ")}:
            m = re.search(rf"(?im)^\s*\**{re.escape(label)}\**\s*[:=-]\s*(.+)$", cleaned)
            if m:
                out[name] = m.group(1).strip()
                break
    # a JSON object holding the fields
    still = [n for n in missing if n not in out]
    if still:
        found = _object_fields(_json_object(cleaned), still)
        out.update(found)
    # one output field and plain text: the whole text is the value
    still = [n for n in missing if n not in out]
    if still == list(signature.output_fields) and len(still) == 1 and cleaned:
        out[still[0]] = cleaned
    return out


def json_fields(text: str, signature: Any) -> dict[str, str]:
    """A structured reply's outputs: the reply is one JSON object (a served model kept to a
    schema writes `{"category": "billing"}`); {} for any other reply."""
    stripped = text.strip()
    if not (stripped.startswith("{") and stripped.endswith("}")):
        return {}
    return _object_fields(_json_object(stripped), list(signature.output_fields))


def _object_fields(obj: Any, names: list[str]) -> dict[str, str]:
    """The values of `names` in a decoded JSON object, as text (non-strings as JSON)."""
    if not isinstance(obj, dict):
        return {}
    return {n: obj[n] if isinstance(obj[n], str) else json.dumps(obj[n]) for n in names if n in obj}


def _json_object(text: str) -> Any:
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        return None
    try:
        return json.loads(text[start : end + 1])
    except ValueError:
        return None
