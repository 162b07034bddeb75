"""Feedback and step traces in the run store: written, read, prefilled on resume, exported,
and added to a store written before these columns existed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from scripted_lms import oracle_lm

from engine.optimizers.spine._events import Event
from engine.runs import RunStore, create_run, spec_from_dict
from engine.runs.export._files import export_results_csv
from engine.runs.process.worker import run_worker
from engine.runs.store._read import StoreReader

TRACE = [{"predictor": "classify", "inputs": {"ticket": "t1"}, "outputs": {"category": "b"}}]
ROWS = [
    {"example_id": "e1", "index": 0, "inputs": {"ticket": "t1"}, "outputs": {"category": "b"},
     "score": 0.0, "error": None, "feedback": "expected 'a', got 'b'", "trace": TRACE},
    {"example_id": "e2", "index": 1, "inputs": {"ticket": "t2"}, "outputs": {"category": "a"},
     "score": 1.0, "error": None, "feedback": None, "trace": None},
]  # fmt: skip

OLD_RESULTS_TABLE = """
CREATE TABLE example_results (
    run_id TEXT, candidate TEXT, example_id TEXT, subset TEXT, idx INTEGER, inputs TEXT,
    outputs TEXT, score REAL, error TEXT, trial INTEGER,
    PRIMARY KEY (run_id, candidate, example_id)
)
"""


def _trial(number: int, rows: list[dict], candidate: str = "c1") -> Event:
    data = {"number": number, "candidate": candidate, "subset": "val", "score": 0.5,
            "n": len(rows), "errors": 0, "usage": {}, "wall_time": 0.1, "rows": rows}  # fmt: skip
    return Event(number, "trial", 1.0, data)


def test_feedback_and_trace_round_trip(db_path: Path, tickets_spec) -> None:
    with RunStore(db_path) as store:
        run_id = store.create_run(tickets_spec)
        store.record_event(run_id, _trial(1, ROWS))
        results = store.example_results(run_id)
        assert [r["feedback"] for r in results] == ["expected 'a', got 'b'", None]
        assert results[0]["trace"] == TRACE and results[1]["trace"] is None
        known = store.known_results(run_id)
        assert known[("c1", "e1")]["feedback"] == "expected 'a', got 'b'"
        assert known[("c1", "e1")]["trace"] == TRACE
        assert known[("c1", "e2")] == {**ROWS[1]}
    csv_text = export_results_csv(run_id, db_path)
    header, first = csv_text.splitlines()[:2]
    assert header.endswith("score,feedback,error")
    assert first.endswith("0.0,\"expected 'a', got 'b'\",")


def test_an_old_store_gets_the_new_columns_on_connect(db_path: Path, tickets_spec) -> None:
    db_path.parent.mkdir(parents=True)
    with sqlite3.connect(db_path) as conn:  # a store from before feedback existed
        conn.execute(OLD_RESULTS_TABLE)
        conn.execute(
            "INSERT INTO example_results VALUES ('r0', 'c0', 'e0', 'val', 0, '{}', '{}', 1.0,"
            " NULL, 1)"
        )
    with RunStore(db_path) as store:
        columns = {row[1] for row in store.db.execute("PRAGMA table_info(example_results)")}
        assert {"feedback", "trace"} <= columns
        old = store.known_results("r0")[("c0", "e0")]
        assert old["score"] == 1.0 and old["feedback"] is None and old["trace"] is None
        run_id = store.create_run(tickets_spec)
        store.record_event(run_id, _trial(1, ROWS))
        assert store.example_results(run_id)[0]["feedback"] == "expected 'a', got 'b'"
    with RunStore(db_path) as again:  # opening twice does not add the columns twice
        assert len(again.example_results("r0")) == 1
    assert isinstance(again, StoreReader)


def test_a_worker_run_stores_feedback_and_trace_for_resume(db_path: Path, tickets_spec) -> None:
    spec = spec_from_dict(
        {**tickets_spec.to_dict(), "optimizer": {"name": "LabeledFewShot"}},
        tickets_spec.base_dir,
    )
    run_id = create_run(spec, db_path)
    assert run_worker(run_id, db_path, lm_factory=oracle_lm) == "finished"
    with RunStore(db_path) as store:
        results = store.example_results(run_id, subset="val")
        assert results and all(r["feedback"] for r in results)
        wrong = [r for r in results if r["score"] == 0.0]
        assert wrong and wrong[0]["feedback"].startswith("expected '")
        assert all(r["trace"][0]["predictor"] == "classify" for r in results)
        known = store.known_results(run_id)  # what a resumed worker starts from
        row = known[(results[0]["candidate"], results[0]["example_id"])]
        assert row["feedback"] == results[0]["feedback"] and row["trace"] == results[0]["trace"]
