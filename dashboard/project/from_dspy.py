"""A new project from a program saved by DSPy: its saved JSON, its signatures (the .py file,
read and never run, or signature strings) and a CSV of examples (engine: `import_dspy`).

Everything is checked before the project folder is made, so a refused upload creates nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dashboard import state
from dashboard.project import projects
from dashboard.project.csvio import parse_csv
from engine import SpecError
from engine.runs import import_dspy


@dataclass
class Brought:
    """The project made: its folder, its spec's steps, demos and what the person should know."""

    folder: Path
    steps: list[str]
    demos: int
    notes: list[str]


def text_of(raw: bytes, name: str) -> str:
    """An uploaded file's text, or SpecError saying it is not UTF-8 text."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SpecError(f"{name} is not a text file (UTF-8)") from None


def create_from_dspy(
    saved: tuple[str, bytes],
    signatures: tuple[str, bytes] | list[str],
    examples: tuple[str, bytes],
    name: str = "",
) -> Brought:
    """A new project (made current) from (file name, bytes) uploads; `signatures` is the .py
    upload or signature strings. SpecError (CsvProblem for the CSV) names what is wrong."""
    saved_name, saved_raw = saved
    if isinstance(signatures, tuple):
        signatures_name, text = signatures[0], text_of(signatures[1], signatures[0])
        source: str | list[str] = text
    else:
        signatures_name, source = "the signature strings", signatures
    imported = import_dspy(
        text_of(saved_raw, saved_name), source, csv=projects.DATA_FILE, name=name,
        saved_name=saved_name, signatures_name=signatures_name,
    )  # fmt: skip
    data = parse_csv(examples[1], examples[0])
    spec = imported.spec
    column_of = {field: column for column, field in spec.data.columns.items()}
    needed = [column_of.get(f, f) for f in spec.input_fields + spec.label_fields]
    missing = [c for c in needed if c not in data.columns]
    if missing:
        raise SpecError(
            f"{examples[0]} has no column {', '.join(map(repr, missing))}: the program reads "
            f"{', '.join(map(repr, needed))} (its inputs, then the expected answers); rename "
            "the CSV's columns to match"
        )
    draft = spec.to_dict()
    draft["optimizer"]["keep_start"] = state.empty_draft()["optimizer"]["keep_start"]
    folder = projects._new_folder(spec.name)  # noqa: SLF001 (projects' own way to make one)
    state.load(draft, data, folder)
    projects.save_current()
    demos = sum(len(step.demos) for step in spec.pipeline)
    return Brought(folder, [s.name for s in spec.pipeline], demos, imported.notes)
