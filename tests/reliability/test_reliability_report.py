"""The page writer and its inputs: a failing case is written as a failure (the page shows less
than 100%), records come from what a case observed, and only a session that ran the whole
battery rewrites the page."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from full_run import battery_files, why_partial
from reliability_log import ENV, observe
from report import render, write_report

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
FAULTS = "tests/reliability/test_faults.py"
ATTACKS = "tests/runs/export/test_export_hostile.py"


def _case(name: str, outcome: str, file: str = FAULTS, **extra) -> dict:
    return {"kind": "case", "case": f"{file}::{name}", "file": file, "outcome": outcome, **extra}


def _fault(name: str, held: bool, injected: int = 1, file: str = FAULTS) -> dict:
    return {"kind": "fault", "case": f"{file}::{name}", "fault": "timeout", "held": held,
            "injected": injected}  # fmt: skip


def _page(tmp_path: Path, items: list[dict]) -> str:
    log = tmp_path / "log.jsonl"
    log.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    return write_report(log, tmp_path / "RELIABILITY.md").read_text(encoding="utf-8")


def test_a_failing_fault_case_is_written_as_a_failure_below_100_percent(tmp_path: Path) -> None:
    page = _page(tmp_path, [
        _fault("test_ok", held=True, injected=3), _case("test_ok", "passed"),
        _fault("test_broken", held=False), _case("test_broken", "failed", reason="assert 2 == 1"),
        {"kind": "session", "files": [FAULTS]},
    ])  # fmt: skip
    assert "**1 of 2 cases passed: 1 failed.**" in page
    assert "**4 faults injected, 3 survived; 1 did not.**" in page
    assert "| timeout | 4 | 3 |" in page
    assert f"| `{FAULTS}::test_broken` | failed | assert 2 == 1 |" in page
    assert "All 2 cases passed" not in page


def test_a_record_that_held_counts_as_failed_when_its_case_failed_later(tmp_path: Path) -> None:
    page = _page(tmp_path, [_fault("test_a", held=True, injected=2), _case("test_a", "failed")])
    assert "**2 faults injected, 0 survived; 2 did not.**" in page


def test_a_failed_attack_case_is_not_held(tmp_path: Path) -> None:
    family = "export injection (hostile names and texts)"
    page = _page(tmp_path, [
        _case("test_x[1]", "passed", ATTACKS, family=family),
        _case("test_x[2]", "failed", ATTACKS, family=family, reason="injected"),
        _case("test_x[3]", "skipped", ATTACKS, family=family, reason="no browser"),
    ])  # fmt: skip
    assert "**3 attacks tried, 1 held; 2 did not.**" in page
    assert f"| {family} | 3 | 1 |" in page
    assert "**1 of 3 cases passed: 1 failed, 1 skipped.**" in page
    assert f"| `{ATTACKS}::test_x[3]` | no browser |" in page  # a skip says why


def test_a_case_that_failed_before_recording_and_a_file_that_never_ran_are_shown(
    tmp_path: Path,
) -> None:
    never = "tests/reliability/test_store_damage.py"
    page = _page(tmp_path, [
        _case("test_crashed_early", "failed", reason="OSError: disk full"),
        {"kind": "session", "files": [FAULTS, never]},
    ])  # fmt: skip
    assert "**0 of 1 cases passed: 1 failed, 1 test file did not run.**" in page
    assert "OSError: disk full (it recorded no observation) |" in page
    assert f"`{never}`" in page


def test_every_section_counts_what_its_records_observed(tmp_path: Path) -> None:
    case = f"{FAULTS}::test_s"
    page = _page(tmp_path, [
        _case("test_s", "passed"),
        {"kind": "secret_scan", "case": case, "scope": "logs", "files": 4, "hits": 2,
         "held": False},
        {"kind": "file", "case": case, "name": "a", "path": "cli", "refused": True, "held": True},
        {"kind": "file", "case": case, "name": "b", "path": "cli", "refused": False,
         "held": False},
        {"kind": "fuzz", "case": case, "target": "parser", "examples": 300, "crashes": 1,
         "held": False},
        {"kind": "crash", "case": case, "optimizer": "GEPA", "phase": "searching",
         "held": False},
        {"kind": "exposure", "case": case, "check": "bind", "result": "every interface",
         "held": False},
    ])  # fmt: skip
    assert "2 leaks found; 1 scans did not hold" in page and "| logs | 4 | 2 | **no** |" in page
    assert "**2 hostile files and names tried, 1 handled as they should be; 1 did not.**" in page
    assert "**300 generated inputs, 1 crash**" in page
    assert "**1 crash points tried, 0 resumed correctly; 1 did not.**" in page
    assert "| bind | every interface | **no** |" in page


def test_all_passing_reads_as_such(tmp_path: Path) -> None:
    page = _page(tmp_path, [_fault("t", held=True), _case("t", "passed"),
                            {"kind": "session", "files": [FAULTS]}])  # fmt: skip
    assert "**All 1 cases passed.**" in page and "**1 faults injected, 1 survived.**" in page
    assert "python3 -m pytest -q tests/reliability\n" in page  # the battery's own command


def test_observe_records_what_the_block_saw(tmp_path: Path, monkeypatch) -> None:
    log = tmp_path / "log.jsonl"
    monkeypatch.setenv(ENV, str(log))
    with observe("fault", fault="timeout") as seen:
        seen.note(injected=2)
    with pytest.raises(AssertionError), observe("fault", fault="auth") as seen:
        seen.add(injected=1)
        seen.add(fault="garbage", injected=3)
        assert False, "the run died"  # noqa: B011  (the failing check under test)
    with pytest.raises(pytest.skip.Exception), observe("fault", fault="empty"):
        pytest.skip("not here")
    items = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(i["fault"], i["injected"], i["held"]) for i in items] == [
        ("timeout", 2, True), ("auth", 1, False), ("garbage", 3, False)
    ]  # fmt: skip
    assert items[1]["error"] == "AssertionError: the run died"
    this = "tests/reliability/test_reliability_report.py::test_observe_records_what_the_block_saw"
    assert {i["case"] for i in items} == {this}
    assert "**6 faults injected, 2 survived; 4 did not.**" in render(items)


def _config(args: list[str], **options) -> SimpleNamespace:
    """What why_partial reads of a pytest.Config (the real one is checked below)."""
    return SimpleNamespace(
        args=args, args_source=pytest.Config.ArgsSource.ARGS, rootpath=ROOT,
        invocation_params=SimpleNamespace(dir=ROOT), getoption=lambda name, default=None:
        options.get(name, default),
    )  # fmt: skip


FILES = battery_files(HERE, ROOT, [ATTACKS])


@pytest.mark.parametrize(
    ("args", "options", "why"),
    [
        (["tests"], {}, None),
        (["tests/reliability", ATTACKS, "tests/engine"], {}, None),
        (["tests/reliability"], {}, f"{ATTACKS} was not selected"),
        ([FAULTS, ATTACKS], {}, "tests/reliability/test_breaker_everywhere.py was not selected"),
        (["tests"], {"keyword": "fault"}, "-k was given"),
        (["tests"], {"markexpr": "not slow"}, "-m was given"),
        (["tests"], {"lf": True}, "--lf was given"),
        (["tests"], {"collectonly": True}, "--collect-only was given"),
        (["tests"], {"deselect": [f"{FAULTS}::test_x"]}, "--deselect was given"),
        (["tests"], {"ignore": ["tests/runs"]}, f"{ATTACKS} was ignored"),
        ([f"{FAULTS}::test_backoff_grows_between_attempts", "tests"], {},
         "a file::case selection"),
    ],
)  # fmt: skip
def test_only_a_session_of_the_whole_battery_rewrites_the_page(args, options, why) -> None:
    assert why_partial(_config(args, **options), ROOT, FILES) == why


def test_a_partial_session_records_its_cases_and_leaves_the_page(tmp_path: Path) -> None:
    """A real pytest session of one battery case: its outcome reaches the log with what it
    observed, and the page is not rewritten (one case does not speak for the battery)."""
    page = ROOT / "docs" / "RELIABILITY.md"
    before = page.read_bytes()
    log = tmp_path / "log.jsonl"
    case = f"{FAULTS}::test_backoff_grows_between_attempts"
    env = {**os.environ, ENV: str(log)}  # a session of its own: not one of xdist's workers
    env = {k: v for k, v in env.items() if not k.startswith(("PYTEST_XDIST", "PYTEST_CURRENT"))}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", case]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout[-2000:]
    items = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(i["kind"], i["case"], i.get("outcome"), i.get("held")) for i in items] == [
        ("fault", case, None, True), ("case", case, "passed", None)
    ]  # fmt: skip
    assert items[0]["injected"] == 3 and page.read_bytes() == before
