from typing import Literal, Optional

import pydantic
import pytest

import engine as dspy
from engine.core._errors import SignatureError


class Sentiment(dspy.Signature):
    """Classify the sentiment of a product review."""

    review: str = dspy.InputField()
    sentiment: str = dspy.OutputField(desc="positive, negative, or neutral")


class Person(pydantic.BaseModel):
    name: str
    age: int


def test_class_form_collects_fields_in_order_with_docstring_instructions():
    assert list(Sentiment.input_fields) == ["review"]
    assert list(Sentiment.output_fields) == ["sentiment"]
    assert Sentiment.instructions == "Classify the sentiment of a product review."
    assert Sentiment.output_fields["sentiment"].desc == "positive, negative, or neutral"
    assert Sentiment.fields["review"].prefix == "Review:"


def test_string_form_parses_types():
    sig = dspy.Signature("question, context: list[str] -> answer: float, ok: bool")
    assert sig.fields["question"].annotation is str
    assert sig.fields["context"].annotation == list[str]
    assert sig.fields["answer"].annotation is float
    assert sig.fields["ok"].annotation is bool
    assert (
        sig.instructions
        == "Given the fields `question`, `context`, produce the fields `answer`, `ok`."
    )


def test_string_form_literal_dict_optional_and_custom_types():
    sig = dspy.Signature(
        "text -> label: Literal['a', 'b'], meta: dict[str, int], note: Optional[str]"
    )
    assert sig.fields["label"].annotation == Literal["a", "b"]
    assert sig.fields["meta"].annotation == dict[str, int]
    assert sig.fields["note"].annotation == Optional[str]  # noqa: UP045
    custom = dspy.make_signature("text -> person: Person", custom_types={"Person": Person})
    assert custom.fields["person"].annotation is Person


def test_signature_with_instructions_argument():
    sig = dspy.Signature("a -> b", "Do the thing.")
    assert sig.instructions == "Do the thing."


def test_edits_are_immutable():
    base = dspy.Signature("question -> answer")
    edited = base.with_instructions("New.")
    assert base.instructions != "New." and edited.instructions == "New."
    appended = base.append("confidence", dspy.OutputField(), type_=float)
    assert list(appended.output_fields) == ["answer", "confidence"]
    assert list(base.output_fields) == ["answer"]
    prepended = base.prepend("reasoning", dspy.OutputField())
    assert list(prepended.output_fields) == ["reasoning", "answer"]
    assert list(prepended.delete("reasoning").output_fields) == ["answer"]
    updated = base.with_updated_fields("answer", type_=Literal["x", "y"], desc="x or y")
    assert updated.fields["answer"].annotation == Literal["x", "y"]
    assert updated.fields["answer"].desc == "x or y"
    assert base.fields["answer"].annotation is str


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("a b -> c", "not a valid identifier"),
        ("a -> ", "no output field"),
        ("a -> b -> c", "exactly one '->'"),
        ("a, a -> b", "duplicate"),
        ("a: Foo -> b", "unsupported type 'Foo'"),
        ("instructions -> b", "reserved"),
        ("a -> b: list[", "cannot parse type"),
    ],
)
def test_malformed_strings_give_clear_errors(text, fragment):
    with pytest.raises(SignatureError, match=None) as info:
        dspy.Signature(text)
    assert fragment in str(info.value)


def test_unsupported_class_form_type_and_missing_field_marker():
    with pytest.raises(SignatureError, match="unsupported type"):

        class Bad(dspy.Signature):
            x: set = dspy.InputField()
            y: str = dspy.OutputField()

    with pytest.raises(SignatureError, match="needs a value of InputField"):

        class Bad2(dspy.Signature):
            x: str
            y: str = dspy.OutputField()


def test_duplicate_field_on_append_rejected():
    with pytest.raises(SignatureError, match="already exists"):
        dspy.Signature("a -> b").append("b", dspy.OutputField())


def test_state_round_trip_keeps_instructions_and_descriptions():
    sig = Sentiment.with_instructions("Tuned.")
    restored = Sentiment.load_state(sig.dump_state())
    assert restored.instructions == "Tuned."
    assert restored.output_fields["sentiment"].desc == "positive, negative, or neutral"
    assert restored.equals(sig)
