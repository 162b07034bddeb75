"""The reliability battery: every test appends what it observed to one JSON-lines log.

A pytest session sets TUNESMITH_RELIABILITY_LOG (subprocesses inherit it) to
.cache/reliability/log.jsonl, emptied first (tests/conftest.py). Cases write what they saw
through reliability_log.observe; tests/conftest.py adds each case's outcome and, after a session
that ran the whole battery (full_run.py says what that is), failures included, regenerates
docs/RELIABILITY.md from the log (report.py), so `make test` keeps it true.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
DEFAULT_LOG = ROOT / ".cache" / "reliability" / "log.jsonl"

for _folder in (HERE, HERE.parent / "dashboard"):  # our helpers; fake_lms for AppTests
    if str(_folder) not in sys.path:
        sys.path.insert(0, str(_folder))

from apphelpers import fresh_app, isolated_home  # noqa: E402
from reliability_log import ENV  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def reliability_log() -> Path:
    """The session's log file (emptied once, at the first reliability test)."""
    given = os.environ.get(ENV, "").strip()
    path = Path(given) if given else DEFAULT_LOG
    path.parent.mkdir(parents=True, exist_ok=True)
    if not given:
        path.write_text("", encoding="utf-8")
        os.environ[ENV] = str(path)
    return path


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An isolated TUNESMITH_HOME with the worker inline and a scripted LM."""
    return isolated_home(tmp_path, monkeypatch)


@pytest.fixture
def app(home: Path):
    """A fresh AppTest of the dashboard, run once (on the Project page)."""
    return fresh_app()
