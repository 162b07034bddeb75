"""Label a spreadsheet (engine/runs/label/_predict.py): a stored run's program on every CSV row."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from scripted_lms import oracle_lm, scored_oracle_lm

from engine.core._errors import TunesmithError
from engine.runs import RunStore, build_program, create_run
from engine.runs.data._csv import CsvProblem
from engine.runs.label._predict import (
    estimate_calls,
    match_inputs,
    predict_table,
    read_input_csv,
    try_input,
)

ROWS = [
    {"ticket": "You billed me the full price instead of the student rate.", "id": "1"},
    {"ticket": "When will my order be shipped?", "id": "2"},
    {"ticket": "", "id": "3"},
]


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """predict_table uses the run's LM cache unless one is set: keep it in this test's folder."""
    monkeypatch.setenv("TUNESMITH_CACHE_DIR", str(tmp_path / "cache"))


def _stored(tickets_spec, db_path: Path) -> str:
    """A finished run whose program has one demo (the oracle then answers the true label)."""
    run_id = create_run(tickets_spec, db_path)
    program = build_program(tickets_spec)
    program.classify.demos = [{"ticket": "My card was charged twice.", "category": "billing"}]
    with RunStore(db_path) as store:
        store.update_run(run_id, status="finished", program=program.dump_state())
    return run_id


def test_every_row_kept_with_outputs_confidence_and_reasons(tickets_spec, db_path: Path) -> None:
    run_id = _stored(tickets_spec, db_path)
    seen: list[tuple[int, int]] = []
    header = ["id", "ticket"]
    out = predict_table(
        run_id, header, ROWS, db_path=db_path, lm_factory=scored_oracle_lm,
        progress=lambda done, total: seen.append((done, total)),
    )  # fmt: skip
    assert out.header == ["id", "ticket", "category", "category_confidence", "error"]
    assert [r["id"] for r in out.rows] == ["1", "2", "3"]
    assert [r["category"] for r in out.rows[:2]] == ["billing", "shipping"]
    assert [r["category_confidence"] for r in out.rows[:2]] == ["0.800", "0.800"]
    assert "empty" in out.rows[2]["error"] and out.rows[2]["category"] == ""
    assert out.failed == 1 and out.calls == 2 and seen[-1] == (3, 3)
    table = list(csv.reader(io.StringIO(out.to_csv())))
    assert table[0] == out.header and len(table) == 4


def test_hosted_model_leaves_confidence_empty(tickets_spec, db_path: Path) -> None:
    run_id = _stored(tickets_spec, db_path)
    out = predict_table(run_id, ["ticket"], ROWS[:1], db_path=db_path, lm_factory=oracle_lm)
    assert out.rows[0]["category"] == "billing" and out.rows[0]["category_confidence"] == ""


def test_a_failing_row_is_kept_with_its_reason(tickets_spec, db_path: Path) -> None:
    run_id = _stored(tickets_spec, db_path)
    rows = [{"ticket": "FAIL please"}, {"ticket": "When will my order be shipped?"}]
    out = predict_table(run_id, ["ticket"], rows, db_path=db_path, lm_factory=scored_oracle_lm)
    assert len(out.rows) == 2 and "refused" in out.rows[0]["error"]
    assert out.rows[0]["ticket"] == "FAIL please"


def test_budget_stops_and_keeps_the_rest(tickets_spec, db_path: Path) -> None:
    run_id = _stored(tickets_spec, db_path)
    rows = [{"ticket": f"Question number {i}"} for i in range(4)]
    out = predict_table(
        run_id, ["ticket"], rows, db_path=db_path, lm_factory=scored_oracle_lm, max_calls=2
    )
    assert [bool(r["category"]) for r in out.rows] == [True, True, False, False]
    assert "budget of 2 LM calls" in out.rows[3]["error"] and out.failed == 2
    assert out.stopped and out.calls == 2


def test_columns_matched_by_mapping_or_name(tickets_spec, db_path: Path) -> None:
    assert match_inputs(tickets_spec, ["Ticket ", "x"]) == {"ticket": "Ticket "}
    mapped = tickets_spec.model_copy(deep=True)
    mapped.data.columns = {"message": "ticket"}
    assert match_inputs(mapped, ["message"]) == {"ticket": "message"}
    assert match_inputs(mapped, ["ticket"]) == {"ticket": "ticket"}
    with pytest.raises(CsvProblem, match="no column for the program's input 'ticket'"):
        match_inputs(tickets_spec, ["text", "label"])


def test_missing_column_changes_nothing(tickets_spec, db_path: Path) -> None:
    run_id = _stored(tickets_spec, db_path)
    with pytest.raises(CsvProblem, match="Its columns: text"):
        predict_table(run_id, ["text"], [{"text": "hi"}], db_path=db_path, lm_factory=oracle_lm)


def test_output_named_like_an_input_column_keeps_both(tickets_spec, db_path: Path) -> None:
    run_id = _stored(tickets_spec, db_path)
    rows = [{"ticket": "When will my order be shipped?", "category": "mine"}]
    out = predict_table(run_id, ["ticket", "category"], rows, db_path=db_path, lm_factory=oracle_lm)
    assert out.rows[0]["category"] == "mine" and out.rows[0]["category_predicted"] == "shipping"


def test_read_input_csv_uses_the_shared_loader(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text("ticket,id\nhello,1\n", encoding="utf-8")
    assert read_input_csv(path) == (["ticket", "id"], [{"ticket": "hello", "id": "1"}])
    with pytest.raises(CsvProblem, match="Excel workbook"):
        read_input_csv(b"PK\x03\x04rest", "book.csv")


def test_estimate_and_try_input(tickets_spec, db_path: Path) -> None:
    run_id = _stored(tickets_spec, db_path)
    assert estimate_calls(run_id, 10, db_path) == (1, 10)
    got = try_input(
        run_id, {"ticket": "When will my order be shipped?"}, db_path=db_path,
        lm_factory=scored_oracle_lm,
    )  # fmt: skip
    assert got == {"category": "shipping", "category_confidence": "0.800", "error": ""}
    with pytest.raises(TunesmithError, match="no candidate"):
        predict_table(run_id, ["ticket"], [], db_path=db_path, candidate="nope")
