"""Signature API: `infer_prefix`, `append_instructions`, the instructions setter, fields'
`json_schema_extra`, `with_updated_fields` extras, `insert` indices, as in DSPy."""

from __future__ import annotations

import dspy as real_dspy
import pytest
from dspy.signatures.signature import infer_prefix as real_infer_prefix

import engine as dspy
from engine.signatures import infer_prefix

NAMES = [
    "question",
    "contextList",
    "context_list",
    "text2number",
    "HTMLParser",
    "camelCaseText",
    "a",
]


@pytest.mark.parametrize("name", NAMES)
def test_infer_prefix_matches_dspy(name):
    assert infer_prefix(name) == real_infer_prefix(name)
    assert dspy.infer_prefix is infer_prefix


def test_submodule_path_of_infer_prefix():
    from engine.signatures.signature import infer_prefix as by_path

    assert by_path("snake_case") == "Snake Case"


@pytest.mark.parametrize("lib", [dspy, real_dspy], ids=["engine", "dspy"])
def test_append_instructions(lib):
    base = lib.Signature("text -> summary", "Summarize.")
    longer = base.append_instructions("Be brief.")
    assert longer is not base
    assert longer.instructions == "Summarize.\n\nBe brief."
    assert base.instructions == "Summarize."
    assert list(longer.fields) == ["text", "summary"]


@pytest.mark.parametrize("lib", [dspy, real_dspy], ids=["engine", "dspy"])
def test_instructions_setter(lib):
    sig = lib.Signature("text -> summary", "Summarize.")
    sig.instructions = "Shorten."
    assert sig.instructions == "Shorten."


def _define(lib):
    class QA(lib.Signature):
        """Answer."""

        question: str = lib.InputField(desc="a question", level=2)
        answer: str = lib.OutputField()

    return QA


@pytest.mark.parametrize("lib", [dspy, real_dspy], ids=["engine", "dspy"])
def test_json_schema_extra(lib):
    qa = _define(lib)
    question = qa.fields["question"].json_schema_extra
    assert question["__dspy_field_type"] == "input"
    assert question["prefix"] == "Question:"
    assert question["desc"] == "a question"
    answer = qa.output_fields["answer"].json_schema_extra
    assert answer["__dspy_field_type"] == "output"
    assert answer["desc"] == "${answer}"
    assert lib.InputField(desc="d", prefix="P:").json_schema_extra["prefix"] == "P:"


def test_json_schema_extra_keeps_extra_keywords():
    assert _define(dspy).fields["question"].json_schema_extra["level"] == 2


@pytest.mark.parametrize("lib", [dspy, real_dspy], ids=["engine", "dspy"])
def test_with_updated_fields_stores_extras(lib):
    qa = _define(lib).with_updated_fields("answer", desc="short", flavor="terse")
    extra = qa.fields["answer"].json_schema_extra
    assert extra["desc"] == "short" and extra["flavor"] == "terse"


@pytest.mark.parametrize("lib", [dspy, real_dspy], ids=["engine", "dspy"])
def test_insert_negative_index(lib):
    sig = lib.Signature("a, b -> c")
    assert list(sig.insert(-1, "d", lib.InputField()).input_fields) == ["a", "b", "d"]
    assert list(sig.insert(-2, "d", lib.InputField()).input_fields) == ["a", "d", "b"]
    assert list(sig.prepend("z", lib.OutputField()).output_fields) == ["z", "c"]
    with pytest.raises(ValueError):
        sig.insert(-5, "d", lib.InputField())


@pytest.mark.parametrize("lib", [dspy, real_dspy], ids=["engine", "dspy"])
def test_field_default_and_is_required(lib):
    class S(lib.Signature):
        q: str = lib.InputField()
        tone: str = lib.InputField(default="neutral")
        a: str = lib.OutputField()

    assert S.fields["q"].is_required()
    assert not S.fields["tone"].is_required()
    assert S.fields["tone"].default == "neutral"


@pytest.mark.parametrize("lib", [dspy, real_dspy], ids=["engine", "dspy"])
def test_description_keyword_is_desc(lib):
    sig = lib.Signature(
        {"q": (str, lib.InputField(description="the query")), "a": (str, lib.OutputField())}
    )
    assert sig.fields["q"].json_schema_extra["desc"] == "the query"
