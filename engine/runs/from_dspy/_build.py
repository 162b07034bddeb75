"""A saved DSPy program and its signatures made into a Tunesmith project spec."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from engine.runs.from_dspy._module import read_module
from engine.runs.from_dspy._saved import read_saved
from engine.runs.from_dspy._shapes import (
    REASONING,
    ImportProblem,
    ProgramShape,
    SavedPredictor,
    StepShape,
)
from engine.runs.from_dspy._source import read_source
from engine.runs.from_dspy._strings import read_signature_string
from engine.runs.spec import ProjectSpec, spec_from_dict

_KEY = re.compile(r"([A-Za-z_]\w*)(\.predict)?")
_METRICS = {"literal": "exact", "bool": "exact", "int": "exact", "float": "numeric"}


@dataclass
class ImportedProgram:
    """The project spec made from a DSPy program, and what the person should know about it."""

    spec: ProjectSpec
    notes: list[str] = field(default_factory=list)


def import_dspy(
    saved: str | bytes,
    signatures: str | list[str],
    *,
    csv: str = "data.csv",
    name: str = "",
    saved_name: str = "the saved program",
    signatures_name: str = "the signatures file",
) -> ImportedProgram:
    """The spec of a program saved by DSPy (`saved`: its JSON) with its `signatures`: the text
    of a .py file (read, never run) or signature strings in predictor order. Its data is the
    CSV `csv` (columns named after the program's inputs and outputs). ImportProblem (a
    SpecError) names what cannot come in; nothing is written here."""
    try:
        return _import(saved, signatures, csv, name, saved_name, signatures_name)
    except (RecursionError, MemoryError):  # e.g. thousands of nested brackets
        raise ImportProblem(
            f"{saved_name} or {signatures_name} is nested too deeply to read; it is not a "
            "program as DSPy saves or a person writes it"
        ) from None


def _import(
    saved: str | bytes,
    signatures: str | list[str],
    csv: str,
    name: str,
    saved_name: str,
    signatures_name: str,
) -> ImportedProgram:
    predictors = read_saved(saved, saved_name)
    for predictor in predictors:
        if not _KEY.fullmatch(predictor.key):
            raise ImportProblem(
                f"{saved_name}: predictor {predictor.key!r} sits in a list or a sub-module; "
                "Tunesmith brings in programs whose steps are attributes of the program "
                "(self.name = dspy.Predict(...)), so the tuned state loads back into yours"
            )
    if isinstance(signatures, str):
        program, label = _from_file(signatures, signatures_name, predictors)
    else:
        program, label = _from_strings(signatures, predictors), "signature strings"
    saved_by_key = {p.key: p for p in predictors}
    steps = [_step_dict(s, saved_by_key[s.saved_key], saved_name) for s in program.steps]
    notes = list(program.notes) + [
        f"{p.key} had its own model ({p.model}) in the saved program; the project uses one task "
        "model for every step, set on the Models page (or models.task in the spec)"
        for p in predictors if p.model
    ]  # fmt: skip
    last = program.steps[-1].signature.ordered
    label_field = next(f for f in last if f.role == "output")
    metric = _METRICS.get(label_field.type, "f1")
    if metric == "f1":
        notes.append(f"{label_field.name} is free text, so answers are scored by word overlap "
                     "(f1); choose another metric if that does not fit")  # fmt: skip
    data: dict[str, Any] = {"csv": csv}
    if program.columns:
        data["columns"] = _columns(program, steps)
    spec = spec_from_dict({
        "name": name or f"{label} program",
        "description": f"Brought in from a DSPy program ({label}).",
        "pipeline": steps,
        "data": data,
        "metric": {"kind": metric, "field": label_field.name},
    })  # fmt: skip
    return ImportedProgram(spec, notes)


def _from_file(text: str, name: str, predictors: list[SavedPredictor]) -> tuple[ProgramShape, str]:
    source = read_source(text, name)
    if not source.modules:
        raise ImportProblem(
            f"{name} has no dspy.Module class, so which signature each predictor uses is not "
            "written anywhere; add the program's class or give the signatures as strings"
        )
    keys = [p.key for p in predictors]
    programs, problems = [], []
    for node in source.modules:  # the class whose steps are the saved predictors
        try:
            program = read_module(source, node)
        except ImportProblem as exc:
            problems.append(exc)
            continue
        if sorted(s.saved_key for s in program.steps) == sorted(keys):
            return program, node.name
        programs.append((node.name, program))
    if not programs:
        raise problems[0]
    class_name, program = programs[0]
    made = [s.saved_key for s in program.steps]
    extra = [k for k in keys if k not in made]
    if extra:
        raise ImportProblem(
            f"predictor(s) {', '.join(map(repr, extra))} in the saved program have no matching "
            f"signature: {class_name} in {name} makes {', '.join(map(repr, made))}"
        )
    missing = [k for k in made if k not in keys]
    raise ImportProblem(
        f"{class_name} in {name} makes {', '.join(map(repr, missing))}, which the saved "
        "program does not hold; save the program again from the same code"
    )


def _from_strings(strings: list[str], predictors: list[SavedPredictor]) -> ProgramShape:
    if len(strings) != len(predictors):
        keys = ", ".join(repr(p.key) for p in predictors)
        raise ImportProblem(
            f"the saved program has {len(predictors)} predictor(s) ({keys}) but "
            f"{len(strings)} signature string(s) were given: give one per predictor, in order"
        )
    steps = []
    for text, predictor in zip(strings, predictors, strict=True):
        signature = read_signature_string(text, f"the signature for {predictor.key!r}")
        step_name, dot, _ = predictor.key.partition(".")
        if dot and len(predictor.fields) != len(signature.fields) + 1:
            raise ImportProblem(
                f"predictor {predictor.key!r} is a ChainOfThought step, which saves its "
                f"fields and a reasoning ({len(predictor.fields)} saved), but the signature "
                f"{text!r} has {len(signature.fields)} fields; the signatures do not match the "
                "saved program"
            )
        module = "ChainOfThought" if dot else "Predict"
        steps.append(StepShape(step_name, module, signature))
    return ProgramShape(steps)


def _step_dict(step: StepShape, saved: SavedPredictor, saved_name: str) -> dict[str, Any]:
    ordered = step.signature.ordered
    descriptions = [d for _, d in saved.fields]
    if step.module == "ChainOfThought":
        inputs = sum(f.role == "input" for f in ordered)
        descriptions = descriptions[:inputs] + descriptions[inputs + 1 :]
    if len(descriptions) != len(ordered):
        extra = f" (+ {REASONING})" if step.module == "ChainOfThought" else ""
        raise ImportProblem(
            f"{saved_name}: predictor {saved.key!r} has {len(saved.fields)} fields saved but its "
            f"signature {step.signature.name} has {len(ordered)}{extra}; the signatures do not "
            "match the saved program"
        )
    fields = []
    for shape, saved_desc in zip(ordered, descriptions, strict=True):
        desc = "" if saved_desc == f"${{{shape.name}}}" else saved_desc
        entry = {"name": shape.name, "role": shape.role, "type": shape.type, "description": desc}
        if shape.choices:
            entry["choices"] = shape.choices
        fields.append(entry)
    step_dict = {"name": step.name, "module": step.module, "instructions": saved.instructions,
                 "fields": fields}  # fmt: skip
    if saved.demos:
        step_dict["demos"] = saved.demos
    return step_dict


def _columns(program: ProgramShape, steps: list[dict[str, Any]]) -> dict[str, str]:
    """Data column -> field: the renames forward() makes, and every other input and label
    under its own name."""
    columns = dict(program.columns)
    produced: set[str] = set()
    for step in steps:
        for f in step["fields"]:
            if f["role"] == "input" and f["name"] not in produced:
                if f["name"] not in columns.values():
                    columns.setdefault(f["name"], f["name"])
        produced |= {f["name"] for f in step["fields"] if f["role"] == "output"}
    for f in steps[-1]["fields"]:
        if f["role"] == "output":
            columns.setdefault(f["name"], f["name"])
    return columns
