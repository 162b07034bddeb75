"""Fine-tuning rows: the teacher's passing traces, each predictor step written as the chat the
adapter sends for it, followed by the answer the adapter would read back; or the labelled
training rows themselves, the same chat followed by the gold answer (`label_rows`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from engine.adapters import default_adapter
from engine.core import Example, NoLMConfiguredError, settings
from engine.modules.predict import resolve_lm

Messages = list[dict[str, str]]
TRAIN_ON = ("traces", "labels", "both")  # what BootstrapFinetune's rows come from


@dataclass(frozen=True)
class TrainingRow:
    """One chat to train on: the adapter's messages for a predictor step, then its answer.
    `example` is the training row's index, `predictor` the step's path, `model` the LM the
    predictor calls (rows are grouped by it), `source` "trace" (a teacher's passing answer) or
    "label" (the training row's own answer)."""

    example: int
    predictor: str
    model: str
    messages: Messages
    source: str = "trace"


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


def model_of(predictor: Any) -> str:
    """The model a predictor calls ("" when no LM is configured yet)."""
    try:
        return str(getattr(resolve_lm(predictor.lm), "model", ""))
    except NoLMConfiguredError:
        return ""


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
            messages = chat(adapter, predictor, step["inputs"], step["outputs"], exclude_demos)
            out.append(TrainingRow(index, name, model_name(resolve_lm(predictor.lm)), messages))
    return out


def chat(
    adapter: Any,
    predictor: Any,
    inputs: Mapping[str, Any],
    outputs: Mapping[str, Any],
    exclude_demos: bool,
) -> Messages:
    """The adapter's messages for one call of `predictor` (its signature, its demos unless
    `exclude_demos`, the inputs it reads), then `outputs` as the reply the adapter reads back."""
    signature = predictor.signature
    demos = [] if exclude_demos else list(predictor.demos)
    ins = {k: v for k, v in inputs.items() if k in signature.input_fields}
    outs = {k: v for k, v in outputs.items() if k in signature.output_fields}
    messages = adapter.format(signature, demos, ins)
    return [*messages, {"role": "assistant", "content": adapter.format_reply(signature, outs)}]


def unlabelled_fields(predictor: Any, trainset: Sequence[Example]) -> list[str]:
    """The fields a step reads or writes that some training row lacks (empty: every row holds
    the step's inputs and its gold outputs, so its chat can be written without a call)."""
    signature = predictor.signature
    needed = [*signature.input_fields, *signature.output_fields]
    missing = []
    for field in needed:
        lacking = sum(1 for e in trainset if e.get(field) is None)
        if lacking:
            missing.append(f"{field!r} (missing in {lacking} of {len(trainset)} rows)")
    return missing


def labelled_steps(program: Any, trainset: Sequence[Example]) -> tuple[list[str], list[str]]:
    """(the steps every training row labels, one phrase per other step saying what it lacks)."""
    steps, others = [], []
    for name, predictor in program.named_predictors():
        missing = unlabelled_fields(predictor, trainset)
        if missing:
            others.append(f"step {name!r} needs {', '.join(missing)}")
        else:
            steps.append(name)
    return steps, others


def label_problem(program: Any, trainset: Sequence[Example], train_on: str) -> str | None:
    """Why rows cannot come from the labels (None: at least one step is labelled)."""
    if not trainset:
        return None
    steps, others = labelled_steps(program, trainset)
    if steps:
        return None
    return (
        f"train_on={train_on!r} trains on the training rows' own answers, but no step's inputs "
        f"and outputs are all in the data: {'; '.join(others)}. Add those columns, or train on "
        "the model's own passing answers (train_on='traces')."
    )


def label_rows(
    program: Any,
    trainset: Sequence[Example],
    *,
    adapter: Any = None,
    exclude_demos: bool = False,
) -> list[TrainingRow]:
    """Each labelled training row as chats of the steps it labels (the program's prompt for its
    inputs, its gold outputs as the reply), in example order; steps whose fields the data lacks
    are left out, and a program with no labelled step is refused (ValueError)."""
    problem = label_problem(program, trainset, "labels")
    if problem:
        raise ValueError(problem)
    adapter = adapter or settings.adapter or default_adapter()
    steps, _ = labelled_steps(program, trainset)
    predictors = dict(program.named_predictors())
    out = []
    for index, example in enumerate(trainset):
        fields = dict(example.items())
        for name in steps:
            predictor = predictors[name]
            messages = chat(adapter, predictor, fields, fields, exclude_demos)
            out.append(TrainingRow(index, name, model_of(predictor), messages, source="label"))
    return out


def merge_rows(
    traces: Sequence[TrainingRow], labels: Sequence[TrainingRow]
) -> tuple[list[TrainingRow], int]:
    """The trace rows, then the label rows not already among them (the same step and chat);
    and how many label rows were such repeats."""
    seen = {(row.predictor, repr(row.messages)) for row in traces}
    extra = [row for row in labels if (row.predictor, repr(row.messages)) not in seen]
    return [*traces, *extra], len(labels) - len(extra)


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
