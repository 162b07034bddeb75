"""Label a spreadsheet (dashboard/views/label.py) and "Try your own input" on the Run, Compare
and Export pages, over a finished run (worker inline, scripted LM)."""

from __future__ import annotations

import pytest
from apphelpers import SAMPLE, go, shown, texts
from fake_lms import oracle

TICKETS = (
    b"id,ticket\n1,When will my order be shipped?\n2,\n3,You billed me the full price instead "
    b"of the student rate.\n"
)


@pytest.fixture
def run_id(app) -> str:
    from dashboard.home import db_path
    from engine.runs import create_run, load_spec
    from engine.runs.process.worker import run_worker
    from engine.runs.spec._spec import spec_from_dict

    spec = load_spec(SAMPLE / "support_tickets.yaml").to_dict()
    spec["data"].update(train_size=6, val_size=6, test_size=4)
    spec["optimizer"] = {"name": "BootstrapFewShot", "params": {}}
    run = create_run(spec_from_dict(spec, base_dir=SAMPLE), db_path())
    assert run_worker(run, db_path(), lm_factory=oracle) == "finished"
    return run


def test_no_run_yet(app):
    at = go(app, "label")
    assert "No tuned program yet" in texts(at)


def test_label_a_spreadsheet(app, run_id, monkeypatch):
    monkeypatch.setenv("TUNESMITH_TEST_LM", "fake_lms:leaning")  # reports choice scores
    at = go(app, "label")
    assert at.selectbox(key="label_run").value == run_id
    assert at.selectbox(key=f"label_cand_{run_id}").value is None  # the run's best
    assert len(at.selectbox(key=f"label_cand_{run_id}").options) >= 2
    at.file_uploader(key="label_upload").upload("new.csv", TICKETS, "text/csv").run()
    assert not at.exception, at.exception
    page = texts(at)
    assert "3 rows × 1 LM call per row = ~3 LM calls" in page
    assert "column 'ticket' → input ticket" in page
    assert at.number_input(key="label_budget").value == 3
    at.button(key="label_go").click().run()
    assert not at.exception, at.exception
    page = texts(at)
    assert "Labelled 2 of 3 rows" in page and "'error' column" in page
    frame = at.dataframe[0].value
    assert list(frame.columns) == [
        "id", "ticket", "category", "category_confidence", "error", "Checked: right"
    ]  # the answers can be corrected (or ticked right) and added to the project
    assert list(frame["id"]) == ["1", "2", "3"] and frame["category_confidence"][0] == "0.905"
    assert "empty" in frame["error"][1]
    download = at.get("download_button")[0]
    assert download.proto.label == "Download the labelled CSV"


def test_a_csv_without_the_input_column_is_refused(app, run_id):
    at = go(app, "label")
    at.file_uploader(key="label_upload").upload("other.csv", b"text\nhello\n", "text/csv").run()
    assert [shown(e.value) for e in at.error] == [
        "The CSV has no column for the program's input 'ticket'. Its columns: text. Rename a "
        "column to that name and upload it again."
    ]
    assert "label_go" not in [b.key for b in at.button]


def _try(at, key: str, run_id: str, text: str):
    at.text_area(key=f"{key}_{run_id}_ticket").set_value(text)
    at.button(key=f"{key}_go_{run_id}").click().run()
    assert not at.exception, at.exception
    return texts(at)


@pytest.mark.parametrize("page,key", [("run", "run_try"), ("export", "export_try"),
                                      ("compare", "cmp_try")])  # fmt: skip
def test_try_your_own_input(app, run_id, monkeypatch, page: str, key: str):
    monkeypatch.setenv("TUNESMITH_TEST_LM", "fake_lms:leaning")
    app.query_params["run"] = run_id
    at = go(app, page)
    assert any(e.label.startswith("Try your own input") for e in at.expander)
    page_text = _try(at, key, run_id, "Where is my parcel?")
    assert "**category** · the model was 90% sure" in page_text
    assert "billing" in page_text
