"""A multi-step case as a program, built the same way in both frameworks, and its step view.

The program is a `Module` with one attribute per step (a `Predict` or `ChainOfThought` named as
the step); `forward` runs the steps in order, each taking its inputs from the program's inputs
or an earlier step's outputs, and returns one prediction with every step's outputs (the metric
reads the scored ones; the step view reads the rest).

The step view of a held-out evaluation: per step, the share of rows whose output matched the
row's label where the row has one (`accuracy`, percent; None for a step with no labelled
output), and for every step but the last a few of the values it passed on (`passed_on`).
"""

from __future__ import annotations

from typing import Any

from bench.core.parsing import field_value
from bench.shapes.cases import Case, Step, norm, signature

SAMPLE_ROWS = 3  # values passed on kept per step (the JSON only)
SAMPLE_CHARS = 160  # characters kept of each value


def predictor(step: Step, module: Any) -> Any:
    kind = module.ChainOfThought if step.chain_of_thought else module.Predict
    return kind(signature(step, module))


def chain_program(case: Case, module: Any) -> Any:
    """The case's steps as a `module.Module` (engine or dspy), one attribute per step."""
    steps = case.steps

    class Chain(module.Module):  # type: ignore[name-defined,misc]
        def __init__(self) -> None:
            super().__init__()
            for step in steps:
                setattr(self, step.name, predictor(step, module))

        def forward(self, **inputs: Any) -> Any:
            values = dict(inputs)
            for step in steps:
                reply = getattr(self, step.name)(**{name: values[name] for name in step.inputs})
                values.update({name: getattr(reply, name, None) for name in step.outputs})
            return module.Prediction(**{n: values[n] for step in steps for n in step.outputs})

    Chain.__name__ = Chain.__qualname__ = case.name.title().replace("_", "")
    return Chain()


def labelled(example: Any, names: list[str]) -> list[str]:
    """The names among `names` the example has a label for."""
    return [name for name in names if getattr(example, name, None) is not None]


def step_view(case: Case, results: list[tuple[Any, Any, float]]) -> list[dict[str, Any]]:
    """Per step of `case`: its held-out accuracy where labelled, and a sample of what it passed
    on (`results` are an Evaluate's (example, prediction, score) triples)."""
    view = []
    for index, step in enumerate(case.steps):
        entry: dict[str, Any] = {"step": step.name, "accuracy": None}
        marks = [
            all(norm(field_value(prediction, n)) == norm(getattr(example, n)) for n in names)
            for example, prediction, _ in results
            if (names := labelled(example, list(step.outputs)))
        ]
        if marks:
            entry["accuracy"] = round(100 * sum(marks) / len(marks), 1)
        if index < len(case.steps) - 1:
            entry["passed_on"] = [
                {n: str(field_value(prediction, n))[:SAMPLE_CHARS] for n in step.outputs}
                for _, prediction, _ in results[:SAMPLE_ROWS]
            ]
        view.append(entry)
    return view
