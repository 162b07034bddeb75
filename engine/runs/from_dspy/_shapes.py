"""What the import reads, before it becomes a spec: fields, signatures, a program's steps and
a saved predictor's state."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.core import SpecError

# what DSPy's own modules add to a saved predictor's fields
REASONING = "reasoning"
MODULES = ("Predict", "ChainOfThought")


class ImportProblem(SpecError):
    """A saved DSPy program or its signatures cannot come in (the message says where and why)."""


@dataclass
class FieldShape:
    """One field of a signature, in the spec's terms (type: str, int, ..., literal)."""

    name: str
    role: str  # "input" | "output"
    type: str = "str"
    choices: list[str] = field(default_factory=list)
    description: str = ""


@dataclass
class SignatureShape:
    """A signature: its name (a class name, or the string itself), instructions and fields."""

    name: str
    fields: list[FieldShape]
    instructions: str = ""

    @property
    def ordered(self) -> list[FieldShape]:
        """Inputs, then outputs, each as declared (the order DSPy saves them in)."""
        return [f for f in self.fields if f.role == "input"] + [
            f for f in self.fields if f.role == "output"
        ]


@dataclass
class StepShape:
    """A predictor attribute of the program: `self.<name> = dspy.<module>(<signature>)`."""

    name: str
    module: str  # one of MODULES
    signature: SignatureShape

    @property
    def saved_key(self) -> str:
        """The name `program.save()` writes its state under."""
        return f"{self.name}.predict" if self.module == "ChainOfThought" else self.name


@dataclass
class ProgramShape:
    """The steps in the order forward() calls them, the data columns renamed into inputs
    (column -> field), and notes for the person (what was assumed)."""

    steps: list[StepShape]
    columns: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass
class SavedPredictor:
    """One predictor's state in a saved program: instructions, (prefix, description) per
    field in saved order, demos."""

    key: str
    instructions: str
    fields: list[tuple[str, str]]
    demos: list[dict[str, Any]]
    model: str = ""  # the predictor's own LM, when the program set one
