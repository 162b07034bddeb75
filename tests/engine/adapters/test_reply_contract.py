"""The reply contract as a JSON schema (`engine.adapters.replies.reply_contract`): built from a
signature's outputs, with the closed values the embedded model's hints use."""

from __future__ import annotations

import enum
from typing import Literal

import engine as ts
from engine.adapters.chat import closed_values as chat_closed_values
from engine.adapters.replies.reply_contract import (
    closed_values,
    field_schema,
    reply_schema,
    schema_format,
)


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Everything(ts.Signature):
    """One output of each kind."""

    ticket: str = ts.InputField()
    category: Literal["billing", "shipping"] = ts.OutputField()
    urgent: bool = ts.OutputField()
    count: int = ts.OutputField()
    score: float = ts.OutputField()
    colour: Colour = ts.OutputField()
    team: str = ts.OutputField(desc="one of: sales, support, legal")
    rating: int = ts.OutputField(desc="how happy the customer is, from 1 to 5")
    note: str = ts.OutputField()


def test_each_kind_of_output_becomes_its_json_type_and_every_output_is_required() -> None:
    schema = reply_schema(Everything.output_fields)
    assert schema == {
        "type": "object",
        "properties": {
            "category": {"type": "string", "enum": ["billing", "shipping"]},
            "urgent": {"type": "boolean"},
            "count": {"type": "integer"},
            "score": {"type": "number"},
            "colour": {"type": "string", "enum": ["red", "blue"]},
            "team": {"type": "string", "enum": ["sales", "support", "legal"]},
            "rating": {"type": "integer", "enum": [1, 2, 3, 4, 5]},
            "note": {"type": "string"},
        },
        "required": ["category", "urgent", "count", "score", "colour", "team", "rating", "note"],
        "additionalProperties": False,
    }


def test_one_closed_output_is_a_schema_and_one_open_text_output_is_not() -> None:
    closed = ts.Signature("ticket -> category: Literal['a', 'b']")
    assert reply_schema(closed.output_fields)["properties"] == {
        "category": {"type": "string", "enum": ["a", "b"]}
    }
    assert reply_schema(ts.Signature("question -> answer").output_fields) is None
    number = reply_schema(ts.Signature("question -> answer: int").output_fields)
    assert number["properties"] == {"answer": {"type": "integer"}}
    both = reply_schema(ts.Signature("question -> reasoning, answer").output_fields)
    assert list(both["properties"]) == ["reasoning", "answer"]


def test_an_output_without_a_plain_schema_keeps_the_whole_reply_in_text() -> None:
    assert field_schema(ts.Signature("q -> items: list[str]").output_fields["items"]) is None
    assert reply_schema(ts.Signature("q -> label: bool, items: list[str]").output_fields) is None


def test_the_chat_adapter_and_the_schema_read_closed_values_in_one_place() -> None:
    assert chat_closed_values is closed_values
    field = Everything.output_fields["team"]
    assert closed_values(field) == ("sales", "support", "legal")
    assert field_schema(field)["enum"] == list(closed_values(field))


def test_the_schema_is_asked_for_as_openais_strict_json_schema() -> None:
    schema = reply_schema(ts.Signature("q -> ok: bool").output_fields)
    assert schema_format(schema) == {
        "type": "json_schema",
        "json_schema": {"name": "reply", "schema": schema, "strict": True},
    }
