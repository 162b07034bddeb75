"""Signature fields as DSPy's tests read them (issue 39, continued): definition order with
unannotated fields, a field without InputField/OutputField is a TypeError, pydantic bounds in
`json_schema_extra["constraints"]`, instances holding field values, `default_factory=`,
optional inputs left out, union outputs and `module.history`."""

from __future__ import annotations

import pytest

import engine as dspy
from engine.lm.scripted import ScriptedLM


def test_fields_keep_the_order_the_class_defines():
    class Review(dspy.Signature):
        text: str = dspy.InputField()
        output = dspy.OutputField()
        passed: bool = dspy.OutputField()

    assert list(Review.fields) == ["text", "output", "passed"]


def test_a_field_without_a_role_is_a_type_error():
    with pytest.raises(TypeError, match="needs a value of InputField"):

        class Bad(dspy.Signature):
            question: str

    with pytest.raises(dspy.SignatureError):  # still the engine's signature error

        class AlsoBad(dspy.Signature):
            question: str


def test_bounds_are_described_as_constraints():
    class Bounded(dspy.Signature):
        text: str = dspy.InputField()
        summary: str = dspy.OutputField(min_length=5, max_length=10)
        score: int = dspy.OutputField(ge=1, le=5)

    assert Bounded.output_fields["summary"].json_schema_extra["constraints"] == (
        "minimum length: 5, maximum length: 10"
    )
    assert Bounded.output_fields["score"].json_schema_extra["constraints"] == (
        "greater than or equal to: 1, less than or equal to: 5"
    )
    assert "constraints" not in Bounded.input_fields["text"].json_schema_extra


def test_a_signature_instance_holds_field_values():
    sig = dspy.Signature("question -> answer")
    value = sig(question="q", answer="a")
    assert isinstance(value, sig) and (value.question, value.answer) == ("q", "a")
    with pytest.raises(TypeError, match="by name"):
        sig("q")
    with pytest.raises(TypeError, match="unknown: colour"):
        sig(colour="red")


def test_default_factory_fills_missing_outputs_afresh():
    class Tagged(dspy.Signature):
        question: str = dspy.InputField()
        answer: str = dspy.OutputField()
        tags: list[str] = dspy.OutputField(default_factory=list)
        note: str | None = dspy.OutputField()

    with dspy.context(lm=ScriptedLM([{"answer": "42"}], cycle=True)):
        first = dspy.Predict(Tagged)(question="q")
        second = dspy.Predict(Tagged)(question="q")
    assert first.tags == [] and first.note is None and first.tags is not second.tags
    with pytest.raises(dspy.SignatureError, match="not both"):
        dspy.OutputField(default=[], default_factory=list)
    with pytest.raises(dspy.SignatureError, match="callable"):
        dspy.OutputField(default_factory=[])


def test_an_optional_input_left_out_is_none():
    class WithContext(dspy.Signature):
        question: str = dspy.InputField()
        context: str | None = dspy.InputField()
        answer: str = dspy.OutputField()

    lm = ScriptedLM([{"answer": "ok"}])
    with dspy.context(lm=lm):
        assert dspy.Predict(WithContext)(question="q").answer == "ok"
    with dspy.context(lm=lm), pytest.raises(dspy.MissingInputError, match="question"):
        dspy.Predict(WithContext)(context="c")  # a required input is still required


def test_union_outputs_read_member_by_member():
    with dspy.context(lm=ScriptedLM([{"output": "processed"}, {"output": "42"}])):
        program = dspy.Predict("text -> output: int | str")
        assert program(text="a").output == "processed"
        assert program(text="b").output == 42


def test_module_history_is_there_before_any_call():
    program = dspy.Predict("question -> answer")
    assert program.history == []
    with dspy.context(lm=ScriptedLM([{"answer": "a"}]), disable_history=True):
        program(question="q")
    assert program.history == []
    with dspy.context(lm=ScriptedLM([{"answer": "a"}])):
        program(question="q")
    assert len(program.history) == 1
