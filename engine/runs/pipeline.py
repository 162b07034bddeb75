"""Turn a spec into objects: the program (`build_program`), the metric, the LMs.

The program is a `Pipeline` module whose steps run in order; a step's input named like an
earlier step's output is wired from it. Each step is an attribute named after the step, so
predictor paths are `classify` (Predict) or `classify.predict` (ChainOfThought), exactly as
in the code `generate_python(spec)` writes, and as a DSPy program of that shape would have.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from engine.errors import SpecError
from engine.evaluate.metrics import make_metric
from engine.modules import ChainOfThought, Module, Predict
from engine.primitives import Prediction, total_lm_usage
from engine.runs.spec import FieldSpec, ModelSpec, ProjectSpec, StepSpec
from engine.runs.spec_names import LLM_METRIC_KINDS
from engine.secret_shapes import url_problem
from engine.signature_string import parse_type
from engine.signatures import InputField, OutputField, Signature, make_signature

MODULES = {"Predict": Predict, "ChainOfThought": ChainOfThought}


def field_annotation(field: FieldSpec) -> Any:
    """The Python type of a spec field: str, int, ..., list[str], Literal[...]."""
    if field.type == "literal":
        return Literal[tuple(field.choices)]  # type: ignore[valid-type]
    return parse_type(field.type)


def class_name(step_name: str) -> str:
    """'classify_ticket' -> 'ClassifyTicket' (the signature class name)."""
    return "".join(part[:1].upper() + part[1:] for part in step_name.split("_") if part) or "Step"


def step_signature(step: StepSpec) -> type[Signature]:
    """The signature of one step (instructions + typed, described fields)."""
    fields: dict[str, Any] = {}
    for f in step.fields:
        maker = InputField if f.role == "input" else OutputField
        fields[f.name] = (field_annotation(f), maker(desc=f.description))
    return make_signature(fields, step.instructions or None, signature_name=class_name(step.name))


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
            for key, value in prediction.items():
                values[key] = value
                produced[key] = value
            predictions.append(prediction)
        last_outputs = self._steps[-1][2]
        ordered = {k: produced[k] for k in last_outputs if k in produced}
        ordered.update({k: v for k, v in produced.items() if k not in ordered})
        result = Prediction(ordered)
        result.set_lm_usage(total_lm_usage(predictions))
        return result


def build_program(spec: ProjectSpec) -> Pipeline:
    """The spec's pipeline as an (untuned) engine program (files it names are read now)."""
    from engine.runs.steps import build_step

    steps = []
    for index, step in enumerate(spec.pipeline):
        module = build_step(spec, index)
        steps.append(
            (step.name, module, [f.name for f in step.inputs], [f.name for f in step.outputs])
        )
    return Pipeline(steps)


def build_metric(spec: ProjectSpec, judge_lm: Any = None) -> Callable[..., float]:
    """`metric(example, prediction, trace=None)` from the spec's metric section.

    An LM-judged metric (judge, semantic_f1) judges with `judge_lm` when given, else
    `models.judge`, else the task model (whatever LM is configured when it is called).
    """
    params = dict(spec.metric.params)
    if spec.metric.field:
        params["field"] = spec.metric.field
    elif len(spec.label_fields) == 1:
        params.setdefault("field", spec.label_fields[0])
    if spec.metric.kind == "judge":
        params["criteria"] = spec.metric.criteria or ""
        if spec.metric.scale:
            params["scale"] = spec.metric.scale
    if spec.metric.kind in LLM_METRIC_KINDS:
        if judge_lm is None and spec.models.judge is not None:
            judge_lm = build_lm(spec.models.judge)
        params["lm"] = judge_lm
    return make_metric(spec.metric.kind, **params)


def lm_kwargs(model: ModelSpec) -> dict[str, Any]:
    """Keyword arguments for `LM(model.model, **kwargs)` (never a key: that comes from the env).

    Used for the LMs of a run and the `.py` export: an endpoint URL holding a key (set on the
    spec after validation) is refused here too, so it is neither called nor written out."""
    kwargs: dict[str, Any] = {"temperature": model.temperature}
    if model.max_tokens is not None:
        kwargs["max_tokens"] = model.max_tokens
    if model.api_base:
        problem = url_problem(model.api_base, "api_base")
        if problem is not None:
            raise SpecError(problem)
        kwargs["api_base"] = model.api_base
    return kwargs


def build_lm(model: ModelSpec, **overrides: Any) -> Any:
    """An engine LM for a model section; `overrides` may carry in-memory extras (e.g. api_key)."""
    from engine.lm import LM

    return LM(model.model, **{**lm_kwargs(model), **overrides})


def generate_python(
    spec: ProjectSpec, state: dict[str, Any] | None = None, configure_lm: bool = False
) -> str:
    """Standalone Python that rebuilds the pipeline with `import engine as dspy`.

    With `state`, the tuned program state is embedded and loaded; with `configure_lm`, the
    spec's task model is configured (keys still come from the environment).
    """
    from engine.runs.codegen import render_program
    from engine.runs.redact import redact

    # keys are refused at entry; a key-shaped value that got into the state is masked here
    return redact(render_program(spec, state=state, configure_lm=configure_lm), []) or ""
