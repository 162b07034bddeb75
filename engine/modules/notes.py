"""Notes for chosen predictors: extra input fields (a hint, feedback, a past attempt) added to
their prompts for one call, without changing the predictors themselves.

`NoteAdapter(base, notes)` wraps the adapter in use; Refine and Assert/Suggest backtracking put
it in `engine.context(adapter=...)` for the attempt they run. `notes` maps a signature (the
predictor's `signature` class, as Predict passes it to the adapter) to `[Note(...)]`. For those
signatures the wrapper appends each note as an input field and passes its value with the inputs.
With the chat adapter a note is therefore listed with the input fields in the system message and
sent as its own `[[ ## hint_ ## ]]` section after the real inputs in the last user message, so
the system message and demos of the plain prompt stay a shared prefix.

Demos lack these fields; left so, the chat adapter would mark every demo as partial. Each demo
gets the note's `demo_value` instead ("N/A": the demo had no hint), which keeps them complete.
Predict records its own (note-free) inputs in the trace, so bootstrapped demos never hold notes.
Notes are keyed by signature identity: two predictors built from one signature class share them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.adapters.base import Adapter
from engine.core import Example, InputField


@dataclass(frozen=True)
class Note:
    """One extra input field: its name, value, description and what demos show for it."""

    name: str
    value: Any
    desc: str = ""
    prefix: str | None = None
    demo_value: str = "N/A"


class NoteAdapter(Adapter):
    """Adds `notes[signature]` as input fields to those signatures' calls; others pass through."""

    def __init__(self, base: Adapter, notes: dict[Any, list[Note]]) -> None:
        own = {id(signature): list(items) for signature, items in notes.items() if items}
        if isinstance(base, NoteAdapter):  # nested (Refine around a backtracking module): merge,
            merged = {key: list(items) for key, items in base.notes.items()}  # since a wrapper
            for key, items in own.items():  # sees only the signature it was given
                merged[key] = merged.get(key, []) + items
            base, own = base.base, merged
        self.base = base
        self.notes = own

    def __call__(
        self,
        lm: Any,
        lm_kwargs: dict[str, Any],
        signature: Any,
        demos: list[Any],
        inputs: dict[str, Any],
    ) -> list[dict[str, Any]]:
        notes = self.notes.get(id(signature))
        if not notes:
            return self.base(lm, lm_kwargs, signature, demos, inputs)
        extended, values = signature, dict(inputs)
        for note in notes:
            name = free_name(extended, note.name)
            extended = extended.append(name, InputField(desc=note.desc, prefix=note.prefix))
            values[name] = note.value
        added = [n for n in extended.input_fields if n not in signature.input_fields]
        defaults = {name: note.demo_value for name, note in zip(added, notes)}
        return self.base(lm, lm_kwargs, extended, [_fill(d, defaults) for d in demos], values)

    def format(self, signature: Any, demos: list[Any], inputs: dict[str, Any]) -> list[dict]:
        return self.base.format(signature, demos, inputs)

    def parse(self, signature: Any, text: str) -> dict[str, Any]:
        return self.base.parse(signature, text)

    def decoding_kwargs(
        self, lm: Any, signature: Any, demos: Any = (), one_line: Any = ()
    ) -> dict[str, Any]:
        return self.base.decoding_kwargs(lm, signature, demos, one_line)


def free_name(signature: Any, name: str) -> str:
    """`name`, or `name` with trailing underscores when the signature already has that field."""
    while name in signature.fields:
        name += "_"
    return name


def _fill(demo: Any, defaults: dict[str, str]) -> Any:
    values = dict(demo.items()) if hasattr(demo, "items") else dict(demo)
    missing = {k: v for k, v in defaults.items() if k not in values}
    if not missing:
        return demo
    return demo.copy(**missing) if isinstance(demo, Example) else {**values, **missing}
