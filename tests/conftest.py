"""Shared fixtures: fresh settings per test, an isolated LM cache, paths to data."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(Path(__file__).resolve().parent) not in sys.path:  # postgres_cluster, for the fixture
    sys.path.insert(0, str(Path(__file__).resolve().parent))
SHARED = ROOT.parent / "shared"
BANKING77 = SHARED / "benchmarks" / "banking77"
SAMPLE_DATA = ROOT / "sample_data"
MODELS_DIR = pytest.StashKey[str]()
RELIABILITY = Path(__file__).resolve().parent / "reliability"
# test files whose every case is an attack; each case is counted in docs/RELIABILITY.md
ATTACK_FAMILIES = {
    "tests/runs/export/test_export_hostile.py": "export injection (hostile names and texts)",
    "tests/engine/sandbox/test_sandbox_escape.py": "sandbox escape (ProgramOfThought's code)",
    "tests/runs/spec/test_url_credentials.py": "credentials in URLs and key-shaped values",
    "tests/engine/lm/test_cache_endpoint.py": "LM cache keys (endpoint, settings, key)",
    "tests/engine/cli/test_cli_store_password.py": "store password printed by the CLI",
    "tests/engine/cli/test_cli_terminal_escapes.py": "terminal escapes in names and reasons",
    "tests/runs/cluster/test_keys_in_transit.py":
        "keys and passwords over Ray, in shared processes",
    "tests/engine/sandbox/test_sandbox_cleanup.py": "sandbox temp folder left behind",
    "tests/engine/sandbox/test_sandbox_unconfined.py": "sandbox without kernel layers",
    "tests/runs/label/test_spreadsheet_output.py":
        "spreadsheet output (formulas, reply size, -o paths)",
    "tests/runs/spec/test_spec_store_edges.py": "spec and store edges (keys, numbers, locks, URLs)",
    "tests/dashboard/test_html_escape.py": "outside text read as Markdown or HTML on a page",
    "tests/e2e/test_hostile_text.py": "outside text read as Markdown or HTML on a page",
    "tests/dashboard/test_sign_in_outsiders.py": "team dashboard sign-in outside the allow-list",
    "tests/dashboard/test_host_check.py": "DNS rebinding (foreign Host, websocket Origin)",
    "tests/e2e/test_foreign_host.py": "DNS rebinding (foreign Host, websocket Origin)",
    "tests/runs/from_dspy/test_from_dspy_hostile.py":
        "a DSPy program file that runs code when read",
}


def pytest_configure(config: pytest.Config) -> None:
    """One folder for the embedded model's Q8_0 copy per test session, set before collection
    (written by the first test that loads the model, shared by the run workers tests start)."""
    if "TUNESMITH_MODELS_DIR" not in os.environ:
        folder = tempfile.mkdtemp(prefix="tunesmith-test-models-")
        os.environ["TUNESMITH_MODELS_DIR"] = config.stash[MODELS_DIR] = folder
        # the embedded runtime's verdict too: each session probes the installed build afresh
        os.environ.setdefault("TUNESMITH_RUNTIME_DIR", os.path.join(folder, "runtime"))


def pytest_sessionstart(session: pytest.Session) -> None:
    """The reliability battery's log, emptied once per session before any test (the attack
    families above run before the battery's own folder)."""
    if str(RELIABILITY) not in sys.path:
        sys.path.insert(0, str(RELIABILITY))
    from reliability_log import ENV

    if not os.environ.get(ENV, "").strip():
        log = ROOT / ".cache" / "reliability" / "log.jsonl"
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text("", encoding="utf-8")
        os.environ[ENV] = str(log)


def in_xdist_worker() -> bool:
    """Whether this process is one of pytest-xdist's workers (`make test` runs two)."""
    return bool(os.environ.get("PYTEST_XDIST_WORKER"))


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`make test` runs two workers (`-n 2 --dist loadgroup`): the tests of the embedded model
    and of the browser go to one of them, one at a time (each wants the cores' model threads,
    and the browser tours write docs/screenshots), while the other runs everything else."""
    for item in items:
        if item.get_closest_marker("real_lm") or item.get_closest_marker("e2e"):
            item.add_marker(pytest.mark.xdist_group("model"))
        elif item.get_closest_marker("ray"):  # one worker starts the one local Ray cluster
            item.add_marker(pytest.mark.xdist_group("ray"))
    # the tour's default run (the README's pictures, its elapsed time on them) goes last, when
    # the other worker has usually finished and the run has both cores, as a user's would
    items.sort(key=lambda item: item.nodeid.startswith("tests/e2e/test_dashboard_tour.py"))


_CASES: dict[str, str] = {}  # battery and attack cases: node id -> outcome over its phases so far
_WHY: dict[str, str] = {}  # node id -> why it failed or skipped
_COLLECT_ERRORS: list[str] = []  # battery files that could not be collected
_STOPPED_BY_USER: list[bool] = []


def _battery_file(nodeid: str) -> str | None:
    path = nodeid.split("::")[0]
    return path if path.startswith("tests/reliability/") or path in ATTACK_FAMILIES else None


def _record_case(nodeid: str) -> None:
    from reliability_log import record

    path = nodeid.split("::")[0]
    record("case", case=nodeid, file=path, outcome=_CASES.pop(nodeid),
           reason=_WHY.pop(nodeid, ""), family=ATTACK_FAMILIES.get(path))  # fmt: skip


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """One `case` record per case of the battery and of an attack family, with its outcome
    over setup, call and teardown (an attack case holds only when it passed). Reports reach
    this hook in the process that prints them (xdist's controller, or the only one)."""
    if in_xdist_worker() or _battery_file(report.nodeid) is None:
        return
    from full_run import phase_outcome, reason, worse

    outcome = phase_outcome(report)
    if outcome != "passed" and report.nodeid not in _WHY:
        _WHY[report.nodeid] = reason(report)
    _CASES[report.nodeid] = worse(_CASES.get(report.nodeid), outcome)
    if report.when == "teardown":
        _record_case(report.nodeid)


def pytest_collectreport(report: pytest.CollectReport) -> None:
    """A battery file that cannot be collected counts as a failed case of that file."""
    if in_xdist_worker() or report.passed or _battery_file(report.nodeid) is None:
        return
    from full_run import reason

    _CASES[report.nodeid] = "failed" if report.failed else "skipped"
    _WHY[report.nodeid] = ("could not be collected: " if report.failed else "") + reason(report)
    if report.failed:
        _COLLECT_ERRORS.append(report.nodeid)
    _record_case(report.nodeid)


def pytest_keyboard_interrupt(excinfo: pytest.ExceptionInfo[BaseException]) -> None:
    _STOPPED_BY_USER.append(True)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Regenerate docs/RELIABILITY.md after every session that selected the whole battery and
    ran to its end, failures and all (tests/reliability/full_run.py says what is whole); a
    session that ran part of it, or stopped early, leaves the page as it was."""
    from reliability_log import ENV

    log = os.environ.get(ENV, "").strip()
    if in_xdist_worker() or not log:
        return
    from full_run import battery_files, why_partial

    for nodeid in list(_CASES):  # a case without a teardown report (its worker died)
        _record_case(nodeid)
    files = battery_files(RELIABILITY, ROOT, list(ATTACK_FAMILIES))
    ended = exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED) or (
        exitstatus == pytest.ExitCode.INTERRUPTED and _COLLECT_ERRORS
    )
    stopped = session.shouldfail or session.shouldstop or _STOPPED_BY_USER
    if not ended or stopped or why_partial(session.config, ROOT, files) is not None:
        return
    from reliability_log import record
    from report import write_report

    record("session", files=files, exitstatus=int(exitstatus))
    write_report(Path(log), ROOT / "docs" / "RELIABILITY.md")


def pytest_unconfigure(config: pytest.Config) -> None:
    folder = config.stash.get(MODELS_DIR, None)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)
        os.environ.pop("TUNESMITH_MODELS_DIR", None)
        os.environ.pop("TUNESMITH_RUNTIME_DIR", None)


@pytest.fixture(autouse=True)
def _fresh_settings(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Every test starts from default settings and an empty fallback record, and never touches
    the user's cache folder."""
    from engine.adapters.base import Adapter
    from engine.core._settings import settings

    if "TUNESMITH_CACHE_DIR" not in os.environ:
        monkeypatch.setenv("TUNESMITH_CACHE_DIR", str(tmp_path_factory.mktemp("lm-cache")))
    settings.reset()
    Adapter.fallback_record.clear()
    yield
    settings.reset()


def require_banking77() -> Path:
    """Skip (with the reason) when the shared benchmark data is not beside the project."""
    if not (BANKING77 / "train.csv").exists():
        pytest.skip(
            f"benchmark data not found at {BANKING77} (only present beside the dev checkout)"
        )
    return BANKING77


@pytest.fixture(scope="session")
def postgres_cluster():
    """A throw-away PostgreSQL server for the session (tests/postgres_cluster.py); skipped,
    saying why, only where PostgreSQL's binaries are not installed."""
    from postgres_cluster import MISSING, PostgresCluster, server_bin

    bin_dir = server_bin()
    if bin_dir is None:
        pytest.skip(MISSING)
    cluster = PostgresCluster(bin_dir).start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def local_ray() -> object:
    """A local Ray cluster for the session (tests/ray_cluster.py): its address. Tests that use
    it carry the `ray` marker, so one xdist worker runs them all."""
    from ray_cluster import start_local_ray, stop_local_ray

    address = start_local_ray()
    yield address
    stop_local_ray()


@pytest.fixture
def postgres_url(postgres_cluster) -> str:
    """The URL of a fresh, empty database on the session's PostgreSQL server."""
    return postgres_cluster.new_database()
