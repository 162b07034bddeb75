"""The ways people write a DSPy program file read the same: names imported from dspy and
typing, an aliased dspy, fields without annotations, enum choices, inline signature strings,
a forward returning dspy.Prediction; each checked against what the real `dspy` saves."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from dspy_programs import user_program

from engine.runs.from_dspy import import_dspy

pytest.importorskip("dspy", reason="the dev extra installs dspy==3.4.1 for interop tests")

STYLED = '''from __future__ import annotations

import enum
import typing

import dspy as d
from dspy import ChainOfThought, InputField, OutputField, Signature


class Team(str, enum.Enum):
    BILLING = "billing"
    SHIPPING = "shipping"


class Tags(Signature):
    """List the tags of a ticket."""

    ticket = InputField()
    tags: typing.List[str] = OutputField(desc="short tags")
    urgent: bool = OutputField()


class Route(Signature):
    """Pick the team."""

    ticket: str = InputField()
    tags: list[str] = InputField()
    team: Team = OutputField()
    confidence: float = OutputField()


class SupportRouter(d.Module):
    """Tags, then a team."""

    def __init__(self):
        super().__init__()
        self.tag = d.Predict(Tags)
        self.route = ChainOfThought(Route)
        self.note = d.Predict("ticket, team -> note")

    def forward(self, ticket):
        tagged = self.tag(ticket=ticket)
        routed = self.route(ticket=ticket, tags=tagged.tags)
        return d.Prediction(team=routed.team, note=self.note(ticket=ticket, team=routed.team).note)
'''


def test_a_program_written_in_another_style_reads_the_same(tmp_path: Path) -> None:
    source = tmp_path / "styled.py"
    source.write_text(STYLED, encoding="utf-8")
    program = user_program(source)
    saved = tmp_path / "styled.json"
    program.save(str(saved))
    spec = import_dspy(saved.read_text(encoding="utf-8"), STYLED).spec
    tag, route, note = spec.pipeline
    assert [(s.name, s.module) for s in spec.pipeline] == [
        ("tag", "Predict"), ("route", "ChainOfThought"), ("note", "Predict")
    ]  # fmt: skip
    assert [(f.name, f.type) for f in tag.fields] == [
        ("ticket", "str"), ("tags", "list[str]"), ("urgent", "bool")
    ]  # fmt: skip
    assert (route.fields[2].type, route.fields[2].choices) == ("literal", ["billing", "shipping"])
    assert route.fields[3].type == "float" and tag.fields[1].description == "short tags"
    assert note.instructions == json.loads(saved.read_text())["note"]["signature"]["instructions"]
    assert spec.input_fields == ["ticket"] and spec.label_fields == ["note"]
    assert spec.metric.kind == "f1"
