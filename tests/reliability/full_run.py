"""Which pytest sessions speak for the whole battery, and each case's outcome as the battery
counts it (tests/conftest.py writes docs/RELIABILITY.md after a session that does)."""

from __future__ import annotations

from fnmatch import fnmatch
from pathlib import Path

import pytest

# options that run a part of what was selected; their value is unset (None, False, []) otherwise
PARTIAL_OPTIONS = {
    "keyword": "-k",
    "markexpr": "-m",
    "lf": "--lf",
    "stepwise": "--sw",
    "deselect": "--deselect",
    "collectonly": "--collect-only",
    "setuponly": "--setup-only",
    "setupplan": "--setup-plan",
}
RANK = {"passed": 0, "xpassed": 1, "skipped": 2, "xfailed": 3, "failed": 4}


def battery_files(reliability: Path, root: Path, attack_files: list[str]) -> list[str]:
    """Every file a full run covers: the battery's test files and the attack families'."""
    battery = [p.relative_to(root).as_posix() for p in sorted(reliability.glob("test_*.py"))]
    return battery + sorted(attack_files)


def why_partial(config: pytest.Config, root: Path, files: list[str]) -> str | None:
    """None when the session selected every one of `files` whole; else what left one out."""
    for option, flag in PARTIAL_OPTIONS.items():
        if config.getoption(option, None):
            return f"{flag} was given"
    from_testpaths = config.args_source == pytest.Config.ArgsSource.TESTPATHS
    base = config.rootpath if from_testpaths else config.invocation_params.dir
    if any("::" in arg for arg in config.args):
        return "a file::case selection"
    chosen = [(base / arg).resolve() for arg in config.args]
    ignored = [(base / arg).resolve() for arg in config.getoption("ignore", None) or []]
    globs = config.getoption("ignore_glob", None) or []
    for name in files:
        path = (root / name).resolve()
        if not any(path == a or a in path.parents for a in chosen):
            return f"{name} was not selected"
        if any(path == a or a in path.parents for a in ignored) or any(
            fnmatch(str(path), g) for g in globs
        ):
            return f"{name} was ignored"
    return None


def phase_outcome(report: pytest.TestReport) -> str:
    """passed, failed, skipped, xfailed or xpassed, for one phase's report."""
    if report.failed:
        return "failed"
    if report.skipped:
        return "xfailed" if hasattr(report, "wasxfail") else "skipped"
    return "xpassed" if hasattr(report, "wasxfail") else "passed"


def worse(first: str | None, second: str) -> str:
    """The case's outcome over its phases: the worst one seen."""
    return second if first is None or RANK[second] > RANK[first] else first


def reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    """One line saying why a case failed or skipped (empty when it passed)."""
    longrepr = report.longrepr
    if isinstance(longrepr, tuple):  # a skip: (file, line, "Skipped: why")
        return str(longrepr[2]).removeprefix("Skipped: ")
    crash = getattr(longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(longrepr or "")
    return " ".join(text.split())[:300]
