"""Shared fixtures: fresh settings per test, an isolated LM cache, paths to data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
BANKING77 = SHARED / "benchmarks" / "banking77"
SAMPLE_DATA = ROOT / "sample_data"


@pytest.fixture(autouse=True)
def _fresh_settings(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Every test starts from default settings and an empty fallback record, and never touches
    the user's cache folder."""
    from engine.adapters.base import Adapter
    from engine.settings import settings

    if "TUNESMITH_CACHE_DIR" not in os.environ:
        monkeypatch.setenv("TUNESMITH_CACHE_DIR", str(tmp_path_factory.mktemp("lm-cache")))
    settings.reset()
    Adapter.fallback_record.clear()
    yield
    settings.reset()


def require_banking77() -> Path:
    """Skip (with the reason) when the shared benchmark data is not beside the project."""
    if not (BANKING77 / "train.csv").exists():
        pytest.skip(
            f"benchmark data not found at {BANKING77} (only present beside the dev checkout)"
        )
    return BANKING77
