"""Helpers shared by the runs tests (kept out of conftest.py so they import unambiguously)."""

from __future__ import annotations

import os
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SAMPLE = ROOT / "sample_data"
BANKING77 = ROOT.parent / "shared" / "benchmarks" / "banking77"


def subprocess_env(**extra: str) -> dict[str, str]:
    """Environment for `python -m ...` children: project + test helpers importable, extras set."""
    env = dict(os.environ)
    paths = [str(HERE), str(ROOT), env.get("PYTHONPATH", "")]
    env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    env.update(extra)
    return env
