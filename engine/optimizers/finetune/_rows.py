"""Fine-tuning rows: the teacher's passing traces, each predictor step written as the chat the
adapter sends for it, followed by the answer the adapter would read back."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from engine.adapters import default_adapter
from engine.modules.predict import resolve_lm
from engine.primitives import Example
from engine.settings import settings

Messages = list[dict[str, str]]


@dataclass(frozen=True)
class TrainingRow:
    """One chat to train on: the adapter's messages for a predictor step, then its answer.
    `example` is the training row's index, `predictor` the step's path, `model` the LM the
    predictor calls (rows are grouped by it)."""

    example: int
    predictor: str
    model: str
    messages: Messages


def passing_traces(
    rows: Sequence[Mapping[str, Any]], threshold: float | None = None
) -> dict[int, list[dict[str, Any]]]:
    """{training row index: trace} of the evaluated rows the metric passed (score at least
    `threshold`, or any score above 0 as DSPy reads a metric's truth) without an error."""
    kept = {}
    for row in rows:
        score, trace = row.get("score"), row.get("trace")
        if row.get("error") or not trace or score is None:
            continue
        if score >= threshold if threshold is not None else score > 0:
            kept[int(row["index"])] = list(trace)
    return kept


def model_name(lm: Any) -> str:
    return str(getattr(lm, "model", type(lm).__name__))


def build_rows(
    program: Any,
    traces: Mapping[int, Sequence[Mapping[str, Any]]],
    *,
    adapter: Any = None,
    exclude_demos: bool = False,
) -> list[TrainingRow]:
    """Every step of every trace in `traces` as a `TrainingRow`, in example order. The prompt
    is what `adapter` (default: the configured one) sends for the step: the predictor's
    signature, its demos (none with `exclude_demos`), the step's inputs."""
    adapter = adapter or settings.adapter or default_adapter()
    predictors = dict(program.named_predictors())
    out = []
    for index in sorted(traces):
        for step in traces[index]:
            name = step["predictor"]
            predictor = predictors.get(name)
            if predictor is None:
                raise ValueError(f"trace step of {name!r}: the program has no such predictor")
            signature = predictor.signature
            demos = [] if exclude_demos else list(predictor.demos)
            inputs = {k: v for k, v in step["inputs"].items() if k in signature.input_fields}
            outputs = {k: v for k, v in step["outputs"].items() if k in signature.output_fields}
            messages = adapter.format(signature, demos, inputs)
            reply = adapter.format_reply(signature, outputs)
            messages = [*messages, {"role": "assistant", "content": reply}]
            model = model_name(resolve_lm(predictor.lm))
            out.append(TrainingRow(index, name, model, messages))
    return out


def prompts_before_calls(
    program: Any, trainset: Sequence[Example], *, adapter: Any = None, exclude_demos: bool = False
) -> list[tuple[int, str, Messages]]:
    """The first predictor's prompt for each training row, known before any call (the rows'
    inputs, formatted by the adapter): what the context-length check reads before a teacher
    runs. (Later steps depend on earlier answers; their rows are checked once written.)"""
    adapter = adapter or settings.adapter or default_adapter()
    named = program.named_predictors()
    if not named:
        return []
    name, predictor = named[0]
    signature = predictor.signature
    demos = [] if exclude_demos else list(predictor.demos)
    out = []
    for index, example in enumerate(trainset):
        inputs = {k: v for k, v in example.inputs().items() if k in signature.input_fields}
        out.append((index, name, adapter.format(signature, demos, inputs)))
    return out


def group_by_model(rows: Sequence[TrainingRow], multitask: bool) -> dict[str, list[TrainingRow]]:
    """Rows per training job: one per model (`multitask`: every predictor on a model shares
    one tuned model), else one per (model, predictor) keyed "model::predictor"."""
    groups: dict[str, list[TrainingRow]] = {}
    for row in rows:
        key = row.model if multitask else f"{row.model}::{row.predictor}"
        groups.setdefault(key, []).append(row)
    return groups
