"""Label page: corrections in the result grid (or an uploaded corrected CSV) join the project's
labelled data for training and validation, the held-out rows stay the same rows, duplicates are
not added twice, and the Run page counts the rows labelled by hand."""

from __future__ import annotations

from pathlib import Path

import pytest
from apphelpers import finished_run, go, run_id_of, shown, texts

NEW = (
    b"ticket\nMy invoice shows a charge I never made.\nThe app freezes when I upload a photo.\n"
    b"Where is the parcel I ordered last month?\n"
)


def held_out(at) -> list[str]:
    from engine.runs import load_data, spec_from_dict

    spec = spec_from_dict(at.session_state["draft"], Path(at.session_state["project_dir"]))
    return sorted(e.ticket for e in load_data(spec).test)


@pytest.fixture
def labelled(app, monkeypatch):
    at = finished_run(app, monkeypatch)
    run_id = run_id_of(at)
    before = held_out(at)
    monkeypatch.setenv("TUNESMITH_TEST_LM", "labelling_lms:unsure")
    app.query_params["run"] = run_id
    at = go(at, "label")
    at.file_uploader(key="label_upload").upload("new.csv", NEW, "text/csv").run()
    at.button(key="label_go").click().run()
    assert not at.exception, at.exception
    return at, before, run_id


def grid(at, edited_rows: dict):
    version = at.session_state["label_grid__v"] if "label_grid__v" in at.session_state else 0
    at.session_state[f"label_grid__{version}"] = {"edited_rows": edited_rows, "added_rows": [],
                                                  "deleted_rows": []}  # fmt: skip
    at.run()
    assert not at.exception, at.exception
    return at


def test_corrections_join_the_project_and_keep_the_held_out_rows(labelled):
    at, before, run_id = labelled
    frame = next(f.value for f in at.dataframe if "Checked: right" in f.value.columns)
    assert list(frame["category"]) == ["billing", "technical", "shipping"]
    rows_before = len(at.session_state["df"])
    grid(at, {1: {"category": "billing"}, 2: {"Checked: right": True}})
    add = at.button(key="label_add_rows")
    assert add.label == "Add 2 corrected row(s) to the project"
    add.click().run()
    assert not at.exception, at.exception
    assert "Added 2 row(s) to the project's labelled data" in texts(at)
    frame = at.session_state["df"]
    assert len(frame) == rows_before - len(before) + 2  # the held-out rows moved to their file
    added = dict(zip(frame["ticket"][-2:], frame["category"][-2:], strict=True))
    assert added == {"The app freezes when I upload a photo.": "billing",
                     "Where is the parcel I ordered last month?": "shipping"}  # fmt: skip
    assert at.session_state["draft"]["data"]["test_csv"] == "held_out.csv"
    assert held_out(at) == before
    saved = (Path(at.session_state["project_dir"]) / "data.csv").read_text()
    assert "The app freezes when I upload a photo.,billing" in saved
    # the same rows again: nothing is added twice
    grid(at, {1: {"category": "billing"}, 2: {"Checked: right": True}})
    at.button(key="label_add_rows").click().run()
    assert "2 row(s) were in the project already" in texts(at)
    assert len(at.session_state["df"]) == len(frame)
    assert held_out(at) == before
    # the Run page counts the rows labelled by hand
    at.query_params["run"] = run_id
    go(at, "run")
    assert "of this run's 20 rows were labelled by hand" in texts(at)


def test_an_uploaded_corrected_csv(labelled):
    at, before, _ = labelled
    corrected = (
        b"ticket,category,category_confidence,error\n"
        b"My invoice shows a charge I never made.,billing,0.9,\n"
        b"The app freezes when I upload a photo.,technical,0.8,\n"
        b"Where is the parcel I ordered last month?,technical,0.7,\n"
    )
    at.file_uploader(key="label_corrected").upload("fixed.csv", corrected, "text/csv").run()
    assert "changes the answer of 1 row(s)" in texts(at)
    at.button(key="label_add_rows").click().run()
    assert "Added 1 row(s)" in texts(at)
    frame = at.session_state["df"]
    assert (frame["ticket"].iloc[-1], frame["category"].iloc[-1]) == (
        "Where is the parcel I ordered last month?", "technical")
    assert held_out(at) == before


def test_a_corrected_answer_outside_the_labels_changes_nothing(labelled):
    at, _, _ = labelled
    rows_before = at.session_state["df"].copy()
    grid(at, {0: {"category": "refunds"}})
    at.button(key="label_add_rows").click().run()
    errors = " ".join(shown(e.value) for e in at.error)
    assert "'refunds' is not one of the labels" in errors and "Nothing was added" in errors
    assert at.session_state["df"].equals(rows_before)
    assert at.session_state["draft"]["data"]["test_csv"] in (None, "")


def test_the_grid_shows_the_corrected_file(labelled):
    at, _, _ = labelled
    corrected = b"ticket,category\nWhere is the parcel I ordered last month?,technical\n"
    at.file_uploader(key="label_corrected").upload("fixed.csv", corrected, "text/csv").run()
    frame = next(f.value for f in at.dataframe if "Checked: right" in f.value.columns)
    assert list(frame["category"]) == ["billing", "technical", "technical"]
    assert list(frame["Checked: right"]) == [False, False, True]
    assert at.button(key="label_add_rows").label == "Add 1 corrected row(s) to the project"
