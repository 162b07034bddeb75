"""Hostile CSV files through the one loader the dashboard, the CLI and the worker share.

Each malformed file is refused with a message naming the row, line or column (or, when it is
only unusual, read correctly), the previous data stays, and nothing reaches the store.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from hostile_cases import GOOD, Case, cases
from reliability_log import observe

from engine.core._errors import SpecError

CASES = cases()
SPEC = textwrap.dedent(
    """\
    name: hostile
    pipeline:
      - name: classify
        fields:
          - {name: ticket, role: input}
          - {name: category, role: output}
    data: {csv: data.csv, train_size: 1, val_size: 1, test_size: 1}
    optimizer: {name: LabeledFewShot, budget: {max_calls: 10}}
    """
)


def test_at_least_fifty_hostile_files() -> None:
    assert len(CASES) >= 50
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_dashboard_loader(case: Case) -> None:
    from dashboard.project.csvio import CsvProblem, parse_csv

    with observe("file", name=case.name, path="dashboard") as seen:
        try:
            frame = parse_csv(case.raw, case.name)
        except CsvProblem as problem:
            seen.note(refused=True)
            assert case.phrase is not None, f"refused a file it should read: {problem}"
            assert case.phrase in str(problem) and "Traceback" not in str(problem)
        else:
            seen.note(refused=False)
            assert case.phrase is None, "read a file it should refuse"
            assert len(frame) == case.rows and list(frame.columns) == ["ticket", "category"]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_cli_loader_writes_nothing_to_the_store(
    case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from engine.cli import main
    from engine.runs import load_spec, validate_spec_against_data

    (tmp_path / "data.csv").write_bytes(case.raw)
    (tmp_path / "spec.yaml").write_text(SPEC, encoding="utf-8")
    db = tmp_path / "store" / "runs.db"
    with observe("file", name=case.name, path="cli") as seen:
        if case.phrase is None:
            try:
                report = validate_spec_against_data(load_spec(tmp_path / "spec.yaml"))
            except SpecError:
                seen.note(refused=True)
                raise
            seen.note(refused=False)
            assert report.rows == case.rows
            if case.name.startswith("labels-"):
                assert any("differ only by case or spaces" in n for n in report.notes)
        else:
            code = main(["run", str(tmp_path / "spec.yaml"), "--db", str(db)])
            err = capsys.readouterr().err
            seen.note(refused=code == 2, wrote_to_store=db.exists())
            assert code == 2 and "data.csv:" in err and case.phrase in err, err
            assert "Traceback" not in err
            assert not db.exists(), "a refused file must write nothing to the store"


def test_formula_cells_are_read_as_written() -> None:
    from engine.runs.data._csv import parse_table

    for case in CASES:
        if case.name.startswith("formula-") and case.name != "formula-dde":
            _, rows = parse_table(case.raw, case.name)
            assert rows[1][0].endswith('HYPERLINK("http://evil.example","x")')


def test_a_100_mb_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    """The size limit is a setting (TUNESMITH_MAX_CSV_MB); the message says which."""
    from dashboard.project.csvio import CsvProblem, parse_csv
    from engine.runs.data._load import read_csv

    big = tmp_path / "big.csv"
    with big.open("wb") as fh:
        fh.write(GOOD)
        fh.truncate(100 * 1024 * 1024)  # sparse: 100 MB on paper, nothing to generate
    with observe("file", name="100mb-file", path="cli", refused=False) as seen:
        with pytest.raises(SpecError) as info:
            read_csv(big)
        seen.note(refused=True)
        assert "100.0 MB" in str(info.value) and "TUNESMITH_MAX_CSV_MB" in str(info.value)
    with observe("file", name="100mb-file", path="dashboard", refused=False) as seen:
        with pytest.raises(CsvProblem) as dash:
            parse_csv(b"a,b\n" + b"x" * (100 * 1024 * 1024), "big.csv")
        seen.note(refused=True)
        assert "the limit is 5 MB" in str(dash.value)


def test_the_size_limit_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from engine.runs.data._csv import CsvProblem, parse_table

    raw = GOOD + b"z" * 3000 + b",billing\n"
    monkeypatch.setenv("TUNESMITH_MAX_CSV_MB", "0.001")
    with pytest.raises(CsvProblem, match="the limit is 0.001 MB"):
        parse_table(raw, "small.csv")
    monkeypatch.setenv("TUNESMITH_MAX_CSV_MB", "1")
    assert len(parse_table(raw, "small.csv")[1]) == 4


def test_dashboard_keeps_the_previous_table(app, home: Path) -> None:
    """One AppTest session: a good file, then every refused one; the table never changes."""
    from apphelpers import shown

    from dashboard.project.csvio import MAX_ROWS  # noqa: F401  (the loader the page imports)

    app.text_input[0].set_value("Hostile")
    app.button(key="FormSubmitter:new_project-Create project").click().run()
    assert app.title[0].value == "Data"
    at = app.file_uploader(key="csv_upload").upload("good.csv", GOOD, "text/csv").run()
    before = at.session_state["df"].copy()
    store_files = sorted(p.name for p in (home / "tunesmith_data").glob("*")) if (
        home / "tunesmith_data").exists() else []  # fmt: skip
    refused = [c for c in CASES if c.phrase is not None and c.dashboard]
    for case in refused:
        with observe("file", name=case.name, path="dashboard page") as seen:
            at.file_uploader(key="csv_upload").upload(f"{case.name}.csv", case.raw, "text/csv")
            at.run()
            errors = " ".join(shown(e.value) for e in at.error)  # as the page reads
            seen.note(refused=bool(errors) and at.session_state["df"].equals(before))
            assert not at.exception, (case.name, at.exception)
            assert case.phrase in errors and "previous data is unchanged" in errors, case.name
            assert at.session_state["df"].equals(before), case.name
    assert len(refused) >= 35
    db_dir = home / "tunesmith_data"
    after = sorted(p.name for p in db_dir.glob("*")) if db_dir.exists() else []
    assert after == store_files
