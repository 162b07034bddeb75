"""The current draft as an engine `ProjectSpec`, checked by the engine, with friendly messages.

The dashboard never re-implements the engine's checks: it asks `spec_from_dict` and
`validate_spec_against_data` and rewords the location part of their messages
("pipeline.0.fields.1.name" -> "Step 1, field 2, name").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from dashboard import state
from dashboard.project import projects
from engine import SpecError
from engine.runs import build_metric, load_data, spec_from_dict, validate_spec_against_data


@dataclass
class Check:
    """Outcome of validating the draft: the spec (if valid), the data report, problems by area."""

    spec: Any = None
    report: Any = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.spec is not None and self.report is not None and not self.problems

    def about(self, *prefixes: str) -> list[str]:
        return [
            p for p in self.problems if p.lower().startswith(tuple(x.lower() for x in prefixes))
        ]


_LOC = [
    (
        re.compile(r"^pipeline\.(\d+)\.fields\.(\d+)\.(\w+)"),
        lambda m: f"Step {int(m[1]) + 1}, field {int(m[2]) + 1} ({m[3]})",
    ),
    (
        re.compile(r"^pipeline\.(\d+)\.fields\.(\d+)"),
        lambda m: f"Step {int(m[1]) + 1}, field {int(m[2]) + 1}",
    ),
    (re.compile(r"^pipeline\.(\d+)\.(\w+)"), lambda m: f"Step {int(m[1]) + 1} ({m[2]})"),
    (re.compile(r"^pipeline\.(\d+)"), lambda m: f"Step {int(m[1]) + 1}"),
    (re.compile(r"^pipeline"), lambda m: "Pipeline"),
    (re.compile(r"^data\.columns"), lambda m: "Data mapping"),
    (re.compile(r"^data\.test_csv"), lambda m: "Test file"),
    (re.compile(r"^data\.csv"), lambda m: "Data"),
    (re.compile(r"^data"), lambda m: "Data split"),
    (re.compile(r"^metric\.params\.?\w*"), lambda m: "Metric settings"),
    (re.compile(r"^metric\.?\w*"), lambda m: "Metric"),
    (re.compile(r"^models\.(\w+)\.?\w*"), lambda m: f"Model ({m[1]})"),
    (re.compile(r"^optimizer\.budget\.(\w+)"), lambda m: f"Budget ({m[1].replace('_', ' ')})"),
    (re.compile(r"^optimizer\.?\w*"), lambda m: "Optimizer"),
    (re.compile(r"^name"), lambda m: "Project name"),
]


LABEL_PROBLEMS = ("needs at least one output field", "label field(s)")


def about_labels(problem: str) -> bool:
    """Whether a problem comes from the data lacking an expected-output column (its fix is on
    the Data page)."""
    return any(words in problem for words in LABEL_PROBLEMS)


def friendly(line: str) -> str:
    """'pipeline.0.fields.1.name: ...' -> 'Step 1, field 2 (name): ...'."""
    loc, sep, message = line.partition(": ")
    if not sep:
        return line
    for pattern, label in _LOC:
        m = pattern.match(loc)
        if m:
            return f"{label(m)}: {message}"
    return line


def problems_of(exc: Exception) -> list[str]:
    text = str(exc).strip()
    return [friendly(line) for line in text.splitlines() if line.strip()] or [text]


def build_spec(check_data: bool = True) -> Check:
    """Validate the draft (and, with `check_data`, its data) through the engine."""

    result = Check()
    if not state.has_project():
        result.problems.append("Project: open a sample or create a project first")
        return result
    projects.save_current()  # the engine reads the CSV from the project folder
    try:
        result.spec = spec_from_dict(state.draft(), state.project_dir())
    except SpecError as exc:
        result.problems = problems_of(exc)
        return result
    try:

        build_metric(result.spec)  # e.g. an invalid regex only shows when the metric is built
    except (SpecError, ValueError) as exc:
        result.problems = [f"Metric: {p}" for p in problems_of(exc)]
        result.spec = None
        return result
    if not check_data:
        return result
    if state.df() is None:
        result.problems.append("Data: upload or paste a CSV file on the Data page")
        return result
    try:
        result.report = validate_spec_against_data(result.spec)
    except (SpecError, OSError, ValueError) as exc:
        result.problems = problems_of(exc)
    return result


def load_split(spec: Any) -> Any:
    """The engine's train/val/test split of the spec's data."""

    return load_data(spec)
