"""Issue 62 item 7: names with terminal escapes (a teammate's project on a shared store, a spec
file) reach the terminal as visible text, never as control sequences.

`run`, `runs` and `show` run as subprocesses; a run name holds an OSC title change
(``\\e]0;…\\a``) and an erase-line-and-return (``\\e[2K\\r``), a stored reason a CSI colour and
a bidirectional override. No byte of any of them may reach stdout or stderr raw."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from runs_helpers import ROOT, subprocess_env

from engine.cli._terminal import terminal_text
from engine.runs.store import RunStore

HOSTILE_NAME = "Tickets \x1b]0;owned-title\x07\x1b[2K\rFAKE: all runs passed"
HOSTILE_REASON = "worker lost \x1b[31mred\x1b[0m \u202edesrever\u202c \x9b2J"
# what may reach the terminal: printable text, tab, newline, the \r of a \r\n
RAW_CONTROL = re.compile(
    r"\r(?!\n)|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]"
)


def _cli(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = subprocess_env(TUNESMITH_HOME=str(home), TUNESMITH_TEST_LM="scripted_lms:oracle_lm")
    env.pop("TUNESMITH_STORE", None)
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "engine", *args], capture_output=True, text=True, env=env,
        cwd=ROOT, timeout=300,
    )  # fmt: skip
    for stream in (result.stdout, result.stderr):
        assert RAW_CONTROL.search(stream) is None, (args, stream)
    return result


def test_names_and_reasons_with_terminal_escapes_are_printed_inert(
    tmp_path: Path, project: Path
) -> None:
    spec = project / "support_tickets.yaml"
    text = spec.read_text(encoding="utf-8")
    escaped = json.dumps(HOSTILE_NAME)  # a YAML double-quoted string: \e, \a, \r escapes
    spec.write_text(text.replace("name: Support ticket routing", f"name: {escaped}"), "utf-8")
    home = tmp_path / "home"

    ran = _cli(home, "run", str(spec))
    assert ran.returncode == 0, ran.stderr
    shown_name = terminal_text(HOSTILE_NAME)
    assert shown_name == "Tickets \\x1b]0;owned-title\\x07\\x1b[2K\\rFAKE: all runs passed"
    assert shown_name in ran.stdout  # the summary names the run, visibly

    db = home / "tunesmith_data" / "runs.db"
    with RunStore(db) as store:  # a teammate's failed run on the shared store
        run_id = store.list_runs()[0]["id"]
        store.update_run(run_id, status="failed", reason=HOSTILE_REASON)
    listing = _cli(home, "runs")
    assert shown_name[:28] in listing.stdout  # the table cuts names at 28 characters
    shown = _cli(home, "show", run_id)
    assert "worker lost \\x1b[31mred\\x1b[0m \\u202edesrever\\u202c \\x9b2J" in shown.stdout
    as_json = json.loads(_cli(home, "runs", "--json").stdout)  # JSON escapes them itself
    assert as_json[0]["name"] == HOSTILE_NAME


def test_crlf_line_ends_of_a_csv_export_are_kept() -> None:
    assert terminal_text("a,b\r\nc,d\r\n") == "a,b\r\nc,d\r\n"
    assert terminal_text("tab\tand newline\n") == "tab\tand newline\n"
    assert terminal_text("over\rwrite") == "over\\rwrite"
