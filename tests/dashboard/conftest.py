"""AppTest fixtures: an isolated TUNESMITH_HOME, the worker inline, a scripted LM (no model)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent

if str(HERE) not in sys.path:  # `fake_lms` (TUNESMITH_TEST_LM hook) and `apphelpers`
    sys.path.insert(0, str(HERE))


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "home"
    monkeypatch.setenv("TUNESMITH_HOME", str(folder))
    monkeypatch.setenv("TUNESMITH_INLINE_WORKER", "1")
    monkeypatch.setenv("TUNESMITH_TEST_LM", "fake_lms:oracle")
    monkeypatch.setenv("TUNESMITH_CACHE_DIR", str(tmp_path / "cache"))
    return folder


@pytest.fixture
def app(home: Path):
    """A fresh AppTest of the dashboard, run once (on the Project page)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    st.cache_resource.clear()
    st.cache_data.clear()
    from apphelpers import APP

    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at
