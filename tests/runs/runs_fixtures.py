"""Fixtures of the runs tests and the CLI's: an isolated store, specs on temporary copies of the
data (each folder's conftest.py imports them)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from runs_helpers import SAMPLE


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "store" / "runs.db"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A folder with support_tickets.csv and its spec, safe to edit."""
    folder = tmp_path / "project"
    folder.mkdir()
    shutil.copy(SAMPLE / "support_tickets.csv", folder / "support_tickets.csv")
    shutil.copy(SAMPLE / "support_tickets.yaml", folder / "support_tickets.yaml")
    return folder


@pytest.fixture
def tickets_spec(project: Path):
    from engine.runs import load_spec

    return load_spec(project / "support_tickets.yaml")


@pytest.fixture(params=["sqlite", "postgresql"])
def store_at(request, tmp_path: Path, monkeypatch) -> str | Path:
    """The run store on each backend: a SQLite file, then a fresh PostgreSQL database (this
    machine's files of its runs then go under a TUNESMITH_HOME of the test's own)."""
    if request.param == "sqlite":
        return tmp_path / "store" / "runs.db"
    monkeypatch.setenv("TUNESMITH_HOME", str(tmp_path / "home"))
    return request.getfixturevalue("postgres_url")
