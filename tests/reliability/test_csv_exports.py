"""Every CSV the project exports neutralises formula cells (OWASP CSV injection): a cell that
starts with = + - @ tab or CR gets a leading single quote, in inputs, outputs and feedback."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from hostile_cases import FORMULA_PREFIXES
from reliability_log import observe

from engine.lm import ScriptedLM
from engine.runs.data._csv import safe_cell
from engine.runs.process._launch import create_run
from engine.runs.process.worker import run_worker
from engine.runs.spec._spec import load_spec

PAYLOADS = [p + 'HYPERLINK("http://evil.example","x")' for p in FORMULA_PREFIXES] + [
    "=cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
]
SPEC = """\
name: formulas
pipeline:
  - name: classify
    fields:
      - {name: ticket, role: input}
      - {name: category, role: output}
data: {csv: data.csv, train_size: 3, val_size: 3, test_size: 3}
metric: {kind: exact, field: category}
optimizer: {name: LabeledFewShot, budget: {max_calls: 100}}
"""


def test_safe_cell_follows_owasp() -> None:
    for payload in PAYLOADS:
        assert safe_cell(payload) == "'" + payload
    assert safe_cell("plain text") == "plain text"
    assert safe_cell(-1.5) == -1.5 and safe_cell(0) == 0  # numbers stay numbers


def test_results_csv_export_neutralises_formula_cells(tmp_path: Path) -> None:
    from engine.runs.export._files import FORMATS, export_run

    rows = [[f"{p} #{i}", p] for i, p in enumerate(PAYLOADS + PAYLOADS[:1])]
    with (tmp_path / "data.csv").open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["ticket", "category"], *rows])
    (tmp_path / "spec.yaml").write_text(SPEC, encoding="utf-8")
    spec = load_spec(tmp_path / "spec.yaml")
    db = tmp_path / "runs.db"
    run_id = create_run(spec, db)
    lm = ScriptedLM(by_input=lambda messages: {"category": "=2+3"}, name="formula")
    with observe("file", name="results-csv-export", path="export", refused=False) as seen:
        status = run_worker(run_id, db, lm_factory=lambda _spec: lm)
        assert status in ("finished", "stopped: budget")
        text = export_run(run_id, "csv", db)
        table = list(csv.reader(io.StringIO(text)))
        cells = [cell for row in table[1:] for cell in row]
        bare = [c for c in cells if c.startswith(FORMULA_PREFIXES)]
        seen.note(cells=len(cells), formula_cells_left=len(bare))
        assert cells, "the export holds results"
        assert not bare, f"formula cells exported as is: {bare[:3]}"
        assert "'=2+3" in cells  # the model's output
        assert any(c.startswith("'=HYPERLINK") for c in cells)  # the data's inputs
        assert "csv" in FORMATS
