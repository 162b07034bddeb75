"""Bad input gets a message that names the real problem, changes nothing, and exits 2.

Issue 37 item 6: a NUL in a data path, a pipe/folder/empty path, a NUL in one cell, labels that
match no choice, and more rows than the dashboard accepts.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from runs_helpers import ROOT, subprocess_env

from engine.cli import main
from engine.core._errors import SpecError
from engine.runs import load_data, load_spec, validate_spec_against_data

SPEC = "support_tickets.yaml"


def _point_csv_at(project: Path, value: str) -> Path:
    """The spec with `data.csv: <value>` (a YAML scalar, written as is)."""
    spec = project / SPEC
    text = spec.read_text(encoding="utf-8")
    assert "  csv: support_tickets.csv\n" in text
    spec.write_text(text.replace("  csv: support_tickets.csv\n", f"  csv: {value}\n"))
    return spec


def _cli(*args: str, home: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "engine", *args],
        capture_output=True,
        text=True,
        env=subprocess_env(TUNESMITH_HOME=str(home)),
        cwd=ROOT,
        timeout=120,  # a check that opened a FIFO would block here
    )


def test_nul_in_the_data_path_exits_2_without_a_traceback(tmp_path: Path, project: Path) -> None:
    spec = _point_csv_at(project, '"tickets\\0.csv"')  # YAML "\0" is a NUL character
    db = tmp_path / "store" / "runs.db"
    for command in (["validate", str(spec)], ["run", str(spec), "--db", str(db)]):
        result = _cli(*command, home=tmp_path)
        assert result.returncode == 2, (command, result.stderr)
        assert "Traceback" not in result.stderr, result.stderr
        assert "data.csv: the path 'tickets\\x00.csv' holds a NUL byte" in result.stderr
    assert not db.exists(), "a refused spec must write nothing to the store"


@pytest.mark.parametrize(
    "kind, value, message",
    [
        ("fifo", "pipe.csv", "pipe.csv is not a regular file (it is a named pipe)"),
        ("folder", "tickets", "tickets is a folder, not a CSV file"),
        ("empty", '""', "data.csv: no data file given"),
    ],
)
def test_a_path_that_is_no_csv_file_says_what_it_is(
    tmp_path: Path, project: Path, kind: str, value: str, message: str
) -> None:
    if kind == "fifo":
        os.mkfifo(project / "pipe.csv")  # nobody writes to it: opening it would block
    elif kind == "folder":
        (project / "tickets").mkdir()
    spec = _point_csv_at(project, value)
    result = _cli("validate", str(spec), home=tmp_path)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and "file not found" not in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_one_nul_in_one_cell_names_its_row_and_column(project: Path) -> None:
    from dashboard.project.csvio import CsvProblem, parse_csv

    csv = project / "support_tickets.csv"
    lines = csv.read_bytes().split(b"\n")
    lines[4] = b"My order\x00 never came," + lines[4].rsplit(b",", 1)[1]  # row 5, header = row 1
    csv.write_bytes(b"\n".join(lines))
    with pytest.raises(SpecError) as info:
        validate_spec_against_data(load_spec(project / SPEC))
    text = str(info.value)
    assert "data.csv: Row 5, column 1 ('ticket') of the CSV file" in text, text
    assert "holds a NUL byte" in text and "spreadsheet" not in text and "UTF-16" not in text
    with pytest.raises(CsvProblem, match=r"Row 5, column 1 \('ticket'\) of upload.csv holds a NUL"):
        parse_csv(csv.read_bytes(), "upload.csv")


def test_labels_outside_the_choices_are_reported_by_validate(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = project / "support_tickets.csv"
    text = csv.read_text(encoding="utf-8")
    upper = text.count(",billing\n")
    assert upper > 0
    csv.write_text(text.replace(",billing\n", ",BILLING\n"), encoding="utf-8")
    report = validate_spec_against_data(load_spec(project / SPEC))
    assert len(report.warnings) == 1, report.warnings
    warning = report.warnings[0]
    assert f"data.csv: {upper} of {report.rows} row(s) have a 'category' label" in warning
    assert f"'BILLING' ({upper} rows, did you mean 'billing'?)" in warning
    assert "('billing', 'technical', 'shipping')" in warning
    assert main(["validate", str(project / SPEC)]) == 0
    out, err = capsys.readouterr()
    assert f"warning: {warning}" in err
    assert "spec OK, with 1 warning (see above)" in out
    assert out.strip() != "spec OK"


def test_one_row_limit_for_the_cli_the_engine_and_the_dashboard(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import dashboard.project.csvio
    from engine.runs.data import _csv as csvfile

    assert dashboard.project.csvio.MAX_ROWS is csvfile.MAX_ROWS == 20_000
    csv = project / "support_tickets.csv"
    body = "".join(f"ticket number {i},billing\n" for i in range(20_001))
    csv.write_text("ticket,category\n" + body, encoding="utf-8")
    message = "has 20,001 rows of data; the limit is 20,000"
    assert main(["validate", str(project / SPEC)]) == 2
    out, err = capsys.readouterr()
    assert f"error: data.csv: the CSV file {csv} {message}" in err and "spec OK" not in out
    with pytest.raises(SpecError, match=message):
        load_data(load_spec(project / SPEC))
    with pytest.raises(csvfile.CsvProblem, match=message):
        dashboard.project.csvio.parse_csv(csv.read_bytes(), "upload.csv")
    csvfile.check_rows(20_000, "at the limit")  # exactly the limit is fine
