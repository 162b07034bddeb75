"""A three-predictor DSPy program (restate -> extract -> classify) for the import tests: its
source file as a person writes it, and the program saved by the real installed `dspy`.

The tests may import the program (the engine never does): `user_program` builds the person's
own program object from the file, as they would.
"""

from __future__ import annotations

import csv
import importlib.util
import sys
from pathlib import Path
from typing import Any

from engine.lm.scripted import ScriptedLM, input_fields
from engine.runs.data import resolve_path

SOURCE = '''"""Route a support ticket: restate it, name its topic, pick the team."""
from typing import Literal

import dspy

TEAMS = ["billing", "technical", "shipping"]


class Restate(dspy.Signature):
    """Restate the customer's ticket in one plain sentence."""

    ticket: str = dspy.InputField(desc="the customer's message")
    restated: str = dspy.OutputField()


class Extract(dspy.Signature):
    """Name the product or service the ticket is about."""

    restated: str = dspy.InputField()
    topic: str = dspy.OutputField(desc="a few words")


class Classify(dspy.Signature):
    """Decide which team should handle the ticket."""

    restated: str = dspy.InputField()
    topic: str = dspy.InputField()
    category: Literal["billing", "technical", "shipping"] = dspy.OutputField()


class SupportRouter(dspy.Module):
    def __init__(self):
        super().__init__()
        self.restate = dspy.Predict(Restate)
        self.extract = dspy.Predict(Extract)
        self.classify = dspy.ChainOfThought(Classify)

    def forward(self, ticket):
        first = self.restate(ticket=ticket)
        second = self.extract(restated=first.restated)
        return self.classify(restated=first.restated, topic=second.topic)


if __name__ == "__main__":
    SupportRouter().save("program.json")
'''
RESTATE_DEMO = {"ticket": "I was charged twice", "restated": "The customer was billed twice."}
CLASSIFY_DEMO = {
    "restated": "The parcel has not arrived.", "topic": "delivery", "reasoning": "a parcel",
    "category": "shipping", "augmented": True,
}  # fmt: skip


def user_program(source: Path) -> Any:
    """A new SupportRouter, built by importing the person's file (only tests do this)."""
    name = f"user_program_{abs(hash(str(source)))}"
    spec = importlib.util.spec_from_file_location(name, source)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules[name] = module
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module.SupportRouter()


def saved_program(folder: Path) -> tuple[Path, Path]:
    """(program.json saved by real dspy with a demo on two steps, support_router.py)."""
    import dspy

    source = folder / "support_router.py"
    source.write_text(SOURCE, encoding="utf-8")
    program = user_program(source)
    program.restate.demos = [dspy.Example(**RESTATE_DEMO)]
    program.classify.predict.demos = [dspy.Example(**CLASSIFY_DEMO)]
    saved = folder / "program.json"
    program.save(str(saved))
    return saved, source


def router_lm(spec: Any) -> ScriptedLM:
    """A scripted LM for the imported router (a `TUNESMITH_TEST_LM` factory too): each step
    answers; the classifier names the ticket's true team (read from the spec's CSV) once its
    prompt holds two demos or more, else 'billing': so tuning (demos) beats the start."""
    column = {field: col for col, field in spec.data.columns.items()}
    with open(resolve_path(spec, spec.data.csv), newline="", encoding="utf-8") as fh:
        truth = {
            row[column.get("ticket", "ticket")].strip(): row[column.get("category", "category")]
            for row in csv.DictReader(fh)
        }

    def answer(messages: list[dict[str, Any]]) -> dict[str, str]:
        fields = input_fields(messages[-1]["content"])
        if "ticket" in fields:
            return {"restated": fields["ticket"].strip()}
        if "topic" not in fields:
            return {"topic": "an order"}
        demos = sum(m.get("role") == "assistant" for m in messages)
        team = truth.get(fields["restated"].strip(), "") if demos >= 2 else "billing"
        return {"reasoning": "scripted", "category": team}

    return ScriptedLM(by_input=answer, name="router")
