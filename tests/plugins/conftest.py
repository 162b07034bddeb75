"""A plugin optimizer registered for one test: $TUNESMITH_OPTIMIZERS names its module (so a
worker process started for a run loads it too); unregistered afterwards."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from engine.optimizers import registry

HERE = Path(__file__).resolve().parent


@pytest.fixture
def first_rows(monkeypatch: pytest.MonkeyPatch):
    """FirstRows registered from its own module; the module."""
    monkeypatch.syspath_prepend(str(HERE))
    monkeypatch.setenv(registry.PLUGINS_ENV, "first_rows")
    path = os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    monkeypatch.setenv("PYTHONPATH", path)
    registry.reload_plugins()
    yield sys.modules["first_rows"]
    registry.unregister("FirstRows")
    sys.modules.pop("first_rows", None)
    monkeypatch.delenv(registry.PLUGINS_ENV)
    registry.reload_plugins()
