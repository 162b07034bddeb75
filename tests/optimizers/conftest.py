"""The optimizer contract tests use the crash matrix's LM and worker (tests/reliability) and
the scripted LMs of tests/runs."""

from __future__ import annotations

import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
for folder in (TESTS / "reliability", TESTS / "runs"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
