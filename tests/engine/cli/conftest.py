"""The CLI's tests run real commands on the runs tests' projects, stores and scripted models:
their helpers (tests/runs) importable here, and their fixtures."""

import sys
from pathlib import Path

RUNS = Path(__file__).resolve().parents[2] / "runs"
if str(RUNS) not in sys.path:
    sys.path.insert(0, str(RUNS))

from runs_fixtures import db_path, project, store_at, tickets_spec  # noqa: E402, F401
