"""The two-step adapter (DSPy's `TwoStepAdapter`): the main LM answers the task in its own
words, then a second LM (`extraction_model`) reads that answer and fills the output fields
through the chat adapter. For models that reason well but do not keep to a format."""

from __future__ import annotations

from typing import Any

from engine.adapters._fields import describe_fields
from engine.adapters.base import Adapter
from engine.adapters.chat import ChatAdapter
from engine.core import InputField, format_value

_EXTRACT = (
    "The input is a text that should contain all the necessary information to produce the "
    "fields {names}. Extract those fields from the text."
)


class TwoStepAdapter(Adapter):
    """`TwoStepAdapter(extraction_model)`: a free-form answer, then an extraction call."""

    def __init__(self, extraction_model: Any, **kwargs: Any) -> None:
        """`extraction_model`: the LM (any callable LM: `lm(messages=...) -> [text]`) that
        turns the main LM's answer into fields; `kwargs` are `Adapter`'s options."""
        if extraction_model is None or not callable(extraction_model):
            raise ValueError(
                "TwoStepAdapter needs extraction_model: an LM (such as dspy.LM(...)) that reads "
                f"the main answer into fields, got {extraction_model!r}"
            )
        super().__init__(**kwargs)
        self.extraction_model = extraction_model
        self.extractor = ChatAdapter()

    def format(
        self, signature: Any, demos: list[Any], inputs: dict[str, Any]
    ) -> list[dict[str, str]]:
        """A plain task description, the demos as plain turns, then the inputs."""
        system = "\n\n".join(
            [
                "You are a helpful assistant that can solve tasks based on user input.",
                "As input, you will be provided with:\n" + describe_fields(signature.input_fields),
                "Your outputs must contain:\n" + describe_fields(signature.output_fields),
                "You should lay out your outputs in detail so that your answer can be understood "
                "by another agent.",
                "Specific instructions: " + signature.instructions,
            ]
        )
        messages = [{"role": "system", "content": system}]
        for demo in demos:
            values = dict(demo.items()) if hasattr(demo, "items") else dict(demo)
            if not any(n in values for n in signature.output_fields):
                continue
            messages.append({"role": "user", "content": _plain(signature.input_fields, values)})
            messages.append(
                {"role": "assistant", "content": _plain(signature.output_fields, values)}
            )
        messages.append({"role": "user", "content": _plain(signature.input_fields, inputs)})
        return messages

    def extraction_signature(self, signature: Any) -> Any:
        """The second call's signature: `text` in, the task's outputs out."""
        extractor = signature
        for name in signature.input_fields:
            extractor = extractor.delete(name)
        extractor = extractor.prepend("text", InputField(desc="the answer to read"), str)
        names = ", ".join(f"`{n}`" for n in signature.output_fields)
        return extractor.with_instructions(_EXTRACT.format(names=names))

    def parse(self, signature: Any, text: str) -> dict[str, Any]:
        """The output fields, as the extraction model reads them from `text`."""
        extractor = self.extraction_signature(signature)
        return self.extractor(self.extraction_model, {}, extractor, [], {"text": text})[0]

    def retry_request(self, signature: Any) -> str:
        return "Your answer could not be read. Answer again, giving each output in full."


def _plain(fields: dict[str, Any], values: dict[str, Any]) -> str:
    return "\n".join(f"{n}: {format_value(values[n])}" for n in fields if n in values)
