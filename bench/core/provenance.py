"""Which code a bench run measured: the git commit it ran at.

`run_commit()` is recorded in every head-to-head's saved `--json` (`"commit"`) and in the header
of the results section it writes, so a number can be traced to the tree that produced it. A run
from a tree with uncommitted changes to the measured code (engine/, bench/) says so in the same
string; refusing such a run is a separate check.
"""

from __future__ import annotations

import subprocess

from bench.core.common import REPO

DIRTY = " +uncommitted changes"
MEASURED = ("engine", "bench")  # the code a bench run measures (results files excluded below)


def _git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else ""


def run_commit() -> str:
    """The HEAD commit (short hash), with `DIRTY` appended when engine/ or bench/ (bar
    bench/results/) has uncommitted or untracked changes; "unknown commit" outside a checkout."""
    head = _git("rev-parse", "--short=12", "HEAD")
    if not head:
        return "unknown commit"
    changed = _git("status", "--porcelain", "--", *MEASURED, ":(exclude)bench/results")
    return head + (DIRTY if changed else "")


def commit_line(commit: str | None) -> str:
    """The section header's line naming the commit (`None`: a run saved before commits were)."""
    return f"**Commit:** `{commit or 'not recorded'}`"
