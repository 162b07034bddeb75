"""A run's rows × candidates as CSV (`matrix_csv`): the default candidates, the top N, rows
in a given order, formulas neutralised, and a candidate the run does not have refused."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from scripted_lms import noisy_oracle_lm

from engine.core import TunesmithError
from engine.runs import create_run, load_spec
from engine.runs.export import matrix_csv
from engine.runs.process.worker import run_worker
from engine.runs.spec import spec_from_dict
from engine.runs.store import RunStore


@pytest.fixture
def finished(db_path: Path, project: Path) -> tuple[str, dict, list[dict]]:
    spec = load_spec(project / "support_tickets.yaml").to_dict()
    spec["data"].update(train_size=6, val_size=6, test_size=4)
    params = {"num_candidate_programs": 3, "max_bootstrapped_demos": 2}
    spec["optimizer"] = {"name": "BootstrapFewShotWithRandomSearch", "params": params}
    run_id = create_run(spec_from_dict(spec, base_dir=project), db_path)
    assert run_worker(run_id, db_path, lm_factory=noisy_oracle_lm) == "finished"
    with RunStore(db_path) as store:
        return run_id, store.get_run(run_id), store.trials(run_id)


def _read(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_the_start_and_the_best_side_by_side_by_default(finished, db_path: Path) -> None:
    run_id, run, trials = finished
    table = _read(matrix_csv(run_id, db_path))
    header, rows = table[0], table[1:]
    assert header[0] == "example_id" and "ticket" in header and "expected.category" in header
    answers = [h for h in header if h.endswith(": answer")]
    start = next(t["candidate"] for t in trials if t["subset"] == "val")
    assert len(answers) == (1 if start == run["best_candidate"] else 2)
    assert len(rows) == 6  # every validation row, once
    scores = {h: header.index(h) for h in header if h.endswith(": score")}
    assert all(float(r[i]) in (0.0, 1.0) for r in rows for i in scores.values())


def test_the_top_candidates_and_rows_in_the_order_asked(finished, db_path: Path) -> None:
    run_id, _, trials = finished
    first: dict[str, float] = {}
    for t in trials:
        if t["subset"] == "val":
            first.setdefault(t["candidate"], t["score"])
    table = _read(matrix_csv(run_id, db_path, top=2, names={h: f"c-{h[:4]}" for h in first}))
    best_two = sorted(first, key=lambda h: -first[h])[:2]
    assert [h for h in table[0] if h.endswith(": answer")] == [
        f"c-{h[:4]}: answer" for h in best_two
    ]
    ids = [r[0] for r in table[1:]]
    again = _read(matrix_csv(run_id, db_path, top=2, rows=ids[::-1][:3]))
    assert [r[0] for r in again[1:]] == ids[::-1][:3]


def test_a_candidate_the_run_does_not_have_is_refused_by_name(finished, db_path: Path) -> None:
    run_id, _, _ = finished
    with pytest.raises(TunesmithError, match="no candidate 'feedbeef'"):
        matrix_csv(run_id, db_path, candidates=["feedbeef"])
    with pytest.raises(TunesmithError, match="no rows scored on its train rows"):
        matrix_csv(run_id, db_path, subset="train")


def test_a_formula_in_a_row_reaches_the_csv_as_text(db_path: Path, project: Path) -> None:
    data = project / "support_tickets.csv"
    head, *rows = list(csv.reader(io.StringIO(data.read_text())))
    out = io.StringIO()
    hostile = [[f'=HYPERLINK("x") {ticket}', team] for ticket, team in rows]
    csv.writer(out).writerows([head, *hostile])
    data.write_text(out.getvalue())
    spec = load_spec(project / "support_tickets.yaml").to_dict()
    spec["data"].update(train_size=4, val_size=4, test_size=4, seed=0)
    spec["optimizer"] = {"name": "LabeledFewShot", "params": {"k": 2}}
    run_id = create_run(spec_from_dict(spec, base_dir=project), db_path)
    assert run_worker(run_id, db_path, lm_factory=noisy_oracle_lm) == "finished"
    seen = 0
    for subset in ("val", "test"):
        for row in _read(matrix_csv(run_id, db_path, subset=subset))[1:]:
            assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row), row
            seen += any("HYPERLINK" in cell for cell in row)
    assert seen == 8  # every validation and test row held the formula, as text
