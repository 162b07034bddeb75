"""A fine-tuned run's model file: which GGUF file each step of a program answers with, how large
it is, and a standalone program that loads the file from the folder it is downloaded to.

BootstrapFinetune and BetterTogether put a predictor on its tuned model by naming the file in
the predictor's LM (`local/<run folder>/model/<base>.ft-<key>.Q8_0.gguf`, an absolute path);
that name travels in the program state, so every export already calls the tuned model on
this computer. Elsewhere the file is downloaded beside the program, which looks for it there.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.core import TunesmithError
from engine.runs.export._files import program_state, run_spec, stored_run
from engine.runs.export.codegen import generate_python

LOCAL_PREFIX = "local/"
LOAD_LINE = "program.load_state(STATE)"


@dataclass(frozen=True)
class ModelFile:
    """A model file the program's steps answer with: where it is, its size, which steps."""

    path: Path
    size_bytes: int
    steps: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.path.name


def step_model(part: Any) -> str | None:
    """The model a predictor's state names (its own LM), or None when it uses the run's."""
    if not isinstance(part, dict):
        return None
    lm = part.get("lm")
    model = lm.get("model") if isinstance(lm, dict) else None
    return str(model) if model else None


def model_file(model: str | None) -> Path | None:
    """The GGUF file behind `local/<path>.gguf` when it is a file on this computer."""
    if not model or not model.startswith(LOCAL_PREFIX) or not model.endswith(".gguf"):
        return None
    path = Path(model[len(LOCAL_PREFIX) :])
    return path if path.is_absolute() and path.is_file() else None


def run_model_files(
    run_id: str, db_path: str | Path | None = None, candidate: str | None = None
) -> list[ModelFile]:
    """The model files the run's best program (or a candidate) answers with, one entry per file
    with its steps listed; empty when it calls the models named in its spec."""
    steps: dict[Path, list[str]] = {}
    for path, part in program_state(run_id, db_path, candidate).items():
        found = model_file(step_model(part))
        if found is not None:
            steps.setdefault(found, []).append(path)
    return [ModelFile(p, p.stat().st_size, tuple(s)) for p, s in steps.items()]


def export_model_python(
    run_id: str, db_path: str | Path | None = None, candidate: str | None = None
) -> str:
    """The standalone program (as `export_python`) that loads the tuned model file from the
    folder the script is in: download both into one folder and run the script there."""
    spec = run_spec(stored_run(run_id, db_path))
    state = copy.deepcopy(program_state(run_id, db_path, candidate))
    files = {}
    for path, part in state.items():
        found = model_file(step_model(part))
        if found is not None:
            part["lm"]["model"] = LOCAL_PREFIX + found.name
            files[path] = found.name
    if not files:
        raise TunesmithError(f"run {run_id}'s program calls no tuned model file")
    text = generate_python(spec, state=state, configure_lm=True)
    if text.count(LOAD_LINE) != 1:
        raise TunesmithError("the program's code has no single place that loads its state")
    beside = [
        "# the tuned model file, downloaded into the folder this script is in",
        f"MODEL_FILES = {files!r}",
        "_here = __import__('pathlib').Path(__file__).resolve().parent",
        "for _step, _file in MODEL_FILES.items():",
        "    STATE[_step]['lm']['model'] = f'local/{_here / _file}'",
        LOAD_LINE,
    ]
    return text.replace(LOAD_LINE, "\n".join(beside))


def size_words(size_bytes: int) -> str:
    """A file size as a person reads it: '145 MB', '1.2 GB'."""
    if size_bytes >= 10**9:
        return f"{size_bytes / 1e9:.1f} GB"
    if size_bytes >= 10**6:
        return f"{size_bytes / 1e6:.0f} MB"
    return f"{max(1, round(size_bytes / 1e3))} KB"
