"""Fixtures for the e2e tests: the browser (chromium from Debian, never `playwright install`)
and a dashboard server in a temp home."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_tour import CHROMIUM, CHROMIUM_ARGS, ROOT, Server


@pytest.fixture
def server_env() -> dict[str, str]:
    """The embedded model by default; E2E_FAKE_LM=1 swaps in the scripted LM (fast dev loop)."""
    if os.environ.get("E2E_FAKE_LM"):
        return {
            "TUNESMITH_TEST_LM": "fake_lms:oracle",
            "PYTHONPATH": os.pathsep.join([str(ROOT / "tests" / "dashboard"), str(ROOT)]),
        }
    pytest.importorskip(
        "llama_cpp", reason="the embedded model needs llama-cpp-python (make setup)"
    )
    return {}


@pytest.fixture
def tour_server(tmp_path: Path, server_env: dict[str, str]) -> Iterator[Server]:
    srv = Server(tmp_path / "home", server_env)
    yield srv
    srv.stop()


@pytest.fixture
def browser_page() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed at /usr/bin/chromium (apt-get install chromium)")
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(
            viewport={"width": 1440, "height": 1000}, accept_downloads=True
        )
        page = context.new_page()
        try:
            yield page
        finally:
            context.close()  # before the server stops: open websockets block its shutdown
            browser.close()
