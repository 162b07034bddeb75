"""`python -m engine predict RUN data.csv -o out.csv` end to end (scripted LM via the hook)."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

from runs_helpers import ROOT, subprocess_env

from engine.runs import RunStore, build_program, create_run


def cli(*args: str, home: Path) -> subprocess.CompletedProcess:
    env = subprocess_env(
        TUNESMITH_HOME=str(home), TUNESMITH_TEST_LM="scripted_lms:scored_oracle_lm"
    )
    return subprocess.run(
        [sys.executable, "-m", "engine", *args], capture_output=True, text=True, env=env,
        cwd=ROOT, timeout=300,
    )  # fmt: skip


def test_predict_writes_every_row(tmp_path: Path, tickets_spec) -> None:
    db = tmp_path / "tunesmith_data" / "runs.db"
    run_id = create_run(tickets_spec, db)
    program = build_program(tickets_spec)
    program.classify.demos = [{"ticket": "My card was charged twice.", "category": "billing"}]
    with RunStore(db) as store:
        store.update_run(run_id, status="finished", program=program.dump_state())
    data = tmp_path / "new.csv"
    data.write_text(
        "id,ticket\n1,When will my order be shipped?\n2,FAIL this one\n3,=SUM(A1)\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.csv"
    result = cli("predict", run_id, str(data), "-o", str(out), home=tmp_path)
    assert result.returncode == 1, result.stderr  # one row failed
    assert "row 3/3" in result.stderr and "labelled 2 of 3 rows" in result.stderr
    assert "1 failed" in result.stderr
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["id"] for r in rows] == ["1", "2", "3"]
    assert rows[0]["category"] == "shipping" and rows[0]["category_confidence"] == "0.800"
    assert rows[1]["error"] and rows[2]["ticket"] == "'=SUM(A1)"

    missing = tmp_path / "other.csv"
    missing.write_text("text\nhello\n", encoding="utf-8")
    bad = cli("predict", run_id, str(missing), "-o", str(tmp_path / "x.csv"), home=tmp_path)
    assert bad.returncode == 2 and "no column for the program's input 'ticket'" in bad.stderr
    assert not (tmp_path / "x.csv").exists()
