"""Turn a spec into its program: `build_program` (a `Pipeline` of the spec's steps).

The program is a `Pipeline` module whose steps run in order; a step's input named like an
earlier step's output is wired from it. Each step is an attribute named after the step, so
predictor paths are `classify` (Predict) or `classify.predict` (ChainOfThought), exactly as
in the code `engine.runs.export.codegen.generate_python(spec)` writes, and as a DSPy program of that
shape would have. The spec's LMs and metric are built in `engine.runs.pipeline._models`.
"""

from __future__ import annotations

from typing import Any

from engine.core import Prediction, total_lm_usage
from engine.modules import Module
from engine.runs.pipeline._steps import build_step
from engine.runs.spec import ProjectSpec


class Pipeline(Module):
    """Runs its steps in order; returns the last step's outputs plus every earlier output."""

    def __init__(self, steps: list[tuple[str, Module, list[str], list[str]]]) -> None:
        # (name, module, input field names, output field names); modules are attributes
        self._steps = [(name, inputs, outputs) for name, _, inputs, outputs in steps]
        for name, module, _, _ in steps:
            setattr(self, name, module)

    @property
    def step_names(self) -> list[str]:
        return [name for name, _, _ in self._steps]

    def forward(self, **kwargs: Any) -> Prediction:
        values = dict(kwargs)
        produced: dict[str, Any] = {}
        predictions = []
        for name, inputs, outputs in self._steps:
            step_inputs = {k: values[k] for k in inputs if k in values}
            prediction = getattr(self, name)(**step_inputs)
            values.update(prediction.items())
            produced.update(prediction.items())
            predictions.append(prediction)
        last_outputs = self._steps[-1][2]
        ordered = {k: produced[k] for k in last_outputs if k in produced}
        ordered.update({k: v for k, v in produced.items() if k not in ordered})
        result = Prediction(ordered)
        result.set_lm_usage(total_lm_usage(predictions))
        return result


def build_program(spec: ProjectSpec) -> Pipeline:
    """The spec's pipeline as an (untuned) engine program (files it names are read now)."""
    return Pipeline([
        (step.name, build_step(spec, index), [f.name for f in step.inputs],
         [f.name for f in step.outputs])
        for index, step in enumerate(spec.pipeline)
    ])  # fmt: skip
