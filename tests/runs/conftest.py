"""The runs tests, one folder per room of engine/runs: their helpers (runs_helpers, scripted_lms,
fake_trainers, ...) beside this file, importable from every folder, and their fixtures."""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # makes runs_helpers / scripted_lms importable in these tests
    sys.path.insert(0, str(HERE))

from runs_fixtures import db_path, project, store_at, tickets_spec  # noqa: E402, F401
