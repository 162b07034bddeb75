"""Projects on disk: `projects/<slug>/project.yaml` (the draft spec) and `data.csv` (the data).

The dashboard saves the draft as it is edited (even while incomplete) and reopens it later.
API keys are never part of a draft, so never part of a project file.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from dashboard import state
from dashboard.home import Sample, projects_dir, slugify
from dashboard.project.csvio import parse_csv, to_csv_bytes
from dashboard.project.step_files import copy_step_files
from engine import SpecError
from engine.runs import load_spec, load_yaml, redact_data, resolve_path

SPEC_FILE = "project.yaml"
DATA_FILE = "data.csv"


@dataclass
class ProjectInfo:
    folder: Path
    name: str
    description: str
    modified: float


def list_projects() -> list[ProjectInfo]:
    """Saved projects, most recently changed first."""
    out = []
    for spec in projects_dir().glob(f"*/{SPEC_FILE}"):
        try:
            data = load_yaml(spec.read_text(encoding="utf-8"), str(spec)) or {}
            if not isinstance(data, dict):
                continue
        except (OSError, SpecError):
            continue
        modified = max(p.stat().st_mtime for p in spec.parent.iterdir())
        out.append(
            ProjectInfo(
                spec.parent,
                str(data.get("name") or spec.parent.name),
                str(data.get("description") or ""),
                modified,
            )
        )
    return sorted(out, key=lambda p: p.modified, reverse=True)


def _new_folder(name: str) -> Path:
    base = slugify(name)
    folder, n = projects_dir() / base, 2
    while folder.exists():
        folder, n = projects_dir() / f"{base}-{n}", n + 1
    folder.mkdir(parents=True)
    return folder


def create_project(name: str, description: str = "") -> Path:
    """A new empty project, made current."""
    folder = _new_folder(name or "Untitled project")
    state.load(state.empty_draft(name or "Untitled project", description), None, folder)
    save_current()
    return folder


def create_from_sample(sample: Sample) -> Path:
    """A copy of a sample project (spec + data) in its own folder, made current."""

    spec = load_spec(sample.spec_path)
    draft = spec.to_dict()
    if "keep_start" not in spec.optimizer.model_fields_set:  # the dashboard's own default
        draft["optimizer"]["keep_start"] = state.empty_draft()["optimizer"]["keep_start"]
    folder = _new_folder(spec.name)
    csv_path = resolve_path(spec, spec.data.csv, allow_outside=True)  # samples are ours
    data = parse_csv(csv_path.read_bytes(), Path(spec.data.csv).name)
    draft["data"]["csv"] = DATA_FILE
    if spec.data.test_csv:  # keep a separate test file working from the copy
        test_csv = resolve_path(spec, spec.data.test_csv, "data.test_csv", allow_outside=True)
        shutil.copy(test_csv, folder / "test.csv")
        draft["data"]["test_csv"] = "test.csv"
    copy_step_files(spec, draft, folder)  # a corpus or a tool's table, beside the spec
    state.load(draft, data, folder)
    save_current()
    return folder


def open_project(folder: Path) -> None:
    """Make a saved project current (an unreadable data file is reported, the spec still opens)."""
    draft = load_yaml((folder / SPEC_FILE).read_text(encoding="utf-8"), SPEC_FILE) or {}
    if not isinstance(draft, dict):
        raise SpecError(f"{folder / SPEC_FILE} does not hold a project (not a mapping)")
    data = None
    csv_path = (folder / str((draft.get("data") or {}).get("csv") or DATA_FILE)).resolve()
    if not csv_path.is_relative_to(folder.resolve()):
        raise SpecError(
            f"data.csv: {csv_path} is outside the project folder {folder}; "
            "a project reads only its own files"
        )
    if csv_path.is_file():
        data = parse_csv(csv_path.read_bytes(), csv_path.name)
    state.load(draft, data, folder)
    state.st.session_state["saved_hash"] = _hash(state.draft())


def delete_project(folder: Path) -> None:
    if folder.parent == projects_dir() and (folder / SPEC_FILE).is_file():
        shutil.rmtree(folder)
        if state.project_dir() == folder:
            state.st.session_state["draft"] = None
            remember(None)


def _hash(draft: dict[str, Any]) -> str:
    return yaml.safe_dump(draft, sort_keys=True)


LAST_FILE = ".last_project"


def remember(folder: Path | None) -> None:
    """Note the open project, so that a new browser session (a refresh) reopens it."""
    marker = projects_dir() / LAST_FILE
    if folder is None:
        marker.unlink(missing_ok=True)
    elif not marker.is_file() or marker.read_text(encoding="utf-8") != folder.name:
        marker.write_text(folder.name, encoding="utf-8")


def reopen_last() -> bool:
    """Open the project this dashboard had open last (once per browser session)."""
    ss = state.st.session_state
    if state.has_project() or ss.get("_reopen_tried"):
        return False
    ss["_reopen_tried"] = True
    marker = projects_dir() / LAST_FILE
    folder = (
        projects_dir() / marker.read_text(encoding="utf-8").strip() if marker.is_file() else None
    )
    if folder is None or not (folder / SPEC_FILE).is_file():
        return False
    try:
        open_project(folder)
    except Exception:  # noqa: BLE001  (a damaged project is simply not reopened)
        return False
    return True


def save_current() -> bool:
    """Write the draft and data of the current project if they changed; True if written."""
    ss = state.st.session_state
    folder = state.project_dir()
    if not state.has_project() or folder is None:
        return False
    folder.mkdir(parents=True, exist_ok=True)
    remember(folder)
    written = False
    data = state.df()
    fingerprint = state.data_fingerprint(data)
    if data is not None and fingerprint != ss.get("data_hash"):
        (folder / DATA_FILE).write_bytes(to_csv_bytes(data))
        ss["data_hash"] = fingerprint
        written = True
    text = _hash(state.draft())
    if text != ss.get("saved_hash"):
        # a key typed into a field is refused by the checks (with a message) but the draft is
        # saved as it is edited: the file gets it masked, never the key
        draft = redact_data(state.draft(), [], tokens=True)
        (folder / SPEC_FILE).write_text(
            yaml.safe_dump(draft, sort_keys=False, allow_unicode=True), encoding="utf-8"
        )
        ss["saved_hash"] = text
        ss["saved_at"] = time.time()
        written = True
    return written
