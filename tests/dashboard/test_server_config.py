"""The dashboard server's own settings as Streamlit reads them from `.streamlit/config.toml`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_no_full_garbage_collection_after_each_script_run() -> None:
    """Streamlit collects garbage after every script run by default; with the engine loaded,
    that was 39% of the server's CPU while a live Run page redrew, on the cores the embedded
    model's threads need (docs/design/forecast.md, "What watching costs")."""
    read = (
        "from streamlit import config; config.get_config_options(force_reparse=True); "
        "print(config.get_option('runner.postScriptGC'), config.get_option('server.address'))"
    )
    done = subprocess.run(  # noqa: S603  (this interpreter, fixed code)
        [sys.executable, "-c", read], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "127.0.0.1"]
