"""Tests of the engine's core and its packages (lm, adapters, modules, evaluate, sandbox,
retrievers), one folder each; the shared helpers beside this file (scripted data, the
local-model markers) are importable from every folder."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
for folder in (HERE, HERE / "lm"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
