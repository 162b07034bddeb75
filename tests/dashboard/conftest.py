"""AppTest fixtures: an isolated TUNESMITH_HOME, the worker inline, a scripted LM (no model)."""

from __future__ import annotations

import ipaddress
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent

if str(HERE) not in sys.path:  # `fake_lms` (TUNESMITH_TEST_LM hook) and `apphelpers`
    sys.path.insert(0, str(HERE))

from apphelpers import fresh_app, isolated_home  # noqa: E402


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An isolated TUNESMITH_HOME with the worker inline and a scripted LM."""
    return isolated_home(tmp_path, monkeypatch)


@pytest.fixture
def app(home: Path):
    """A fresh AppTest of the dashboard, run once (on the Project page)."""
    return fresh_app()


@pytest.fixture
def shared():
    """The dashboard served on every address (a team's server)."""
    from streamlit import config

    before = config.get_option("server.address")
    config.set_option("server.address", str(ipaddress.IPv4Address(0)))
    yield
    config.set_option("server.address", before)
