"""Tests of engine/optimizers, one folder per subpackage. Their helpers (scripted LMs per
optimizer, the crash matrix's LM and worker, the engine tests' local-model helpers) are
importable from every folder here."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent
FOLDERS = [TESTS / "reliability", TESTS / "runs", TESTS / "engine", TESTS / "engine" / "lm", HERE]
FOLDERS += sorted(p for p in HERE.iterdir() if p.is_dir() and not p.name.startswith("_"))
for folder in FOLDERS:
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
