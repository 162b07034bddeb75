"""Data page: upload, paste, column roles, edits, split; bad files keep the previous data."""

from __future__ import annotations

import pytest
from apphelpers import SAMPLE, go, k, set_sizes, shown, texts

TICKETS = (SAMPLE / "support_tickets.csv").read_bytes()


@pytest.fixture
def data_page(app):
    app.text_input[0].set_value("Tickets")
    app.button(key="FormSubmitter:new_project-Create project").click().run()
    assert app.title[0].value == "Data"
    return app


def upload(at, name: str, raw: bytes, mime: str = "text/csv"):
    at.file_uploader(key="csv_upload").upload(name, raw, mime).run()
    assert not at.exception, at.exception
    return at


def test_upload_suggests_roles_fields_and_the_signature(data_page):
    at = upload(data_page, "support_tickets.csv", TICKETS)
    assert "Loaded 60 rows and 2 columns" in texts(at)
    assert at.selectbox(key=k(at, "role_0")).value == "input"
    assert at.selectbox(key=k(at, "role_1")).value == "output"
    assert "ticket → category" in texts(at)
    step = at.session_state["draft"]["pipeline"][0]
    category = next(f for f in step["fields"] if f["name"] == "category")
    assert category["type"] == "literal" and category["choices"] == [
        "billing",
        "shipping",
        "technical",
    ]
    assert "20 train" in texts(at)


@pytest.mark.parametrize(
    ("name", "raw", "phrase"),
    [
        (
            "latin1.csv",
            "ticket,category\nCaf\xe9 bill wrong,billing\n".encode("latin-1"),
            "not UTF-8",
        ),
        ("ragged.csv", b"ticket,category\nhello,billing,extra\n", "Row 2"),
        ("empty.csv", b"", "is empty"),
        ("header.csv", b"ticket,category\n", "no data rows"),
        ("dupes.csv", b"ticket,Ticket\na,b\n", "more than one column named"),
        ("blank.csv", b"ticket,\na,b\n", "has no name"),
        ("sheet-saved-as.csv", b"PK\x03\x04\x00\x00binary", "not plain text"),
    ],
)
def test_bad_files_explain_and_keep_the_previous_data(data_page, name, raw, phrase):
    at = upload(data_page, "support_tickets.csv", TICKETS)
    before = at.session_state["df"].copy()
    upload(at, name, raw)
    errors = " ".join(shown(e.value) for e in at.error)
    assert phrase in errors
    assert "previous data is unchanged" in errors
    assert at.session_state["df"].equals(before)
    assert "Traceback" not in texts(at)


def test_file_over_the_size_limit(data_page, monkeypatch):
    import dashboard.project.csvio as csvio

    monkeypatch.setattr(csvio, "MAX_BYTES", 1000)
    at = upload(data_page, "support_tickets.csv", TICKETS)
    assert "the limit is" in " ".join(shown(e.value) for e in at.error)
    assert at.session_state["df"] is None
    assert "No examples yet" in texts(at)


def test_paste_from_a_spreadsheet(data_page):
    at = data_page
    at.text_area(key="csv_paste").set_value(
        "review\tsentiment\nGreat!\tpositive\nAwful.\tnegative\nFine.\tpositive\n"
    )
    at.button(key="csv_paste_use").click().run()
    assert list(at.session_state["df"].columns) == ["review", "sentiment"]
    assert "review → sentiment" in texts(at)


def test_missing_mapping_is_explained(data_page):
    at = upload(data_page, "support_tickets.csv", TICKETS)
    at.selectbox(key=k(at, "role_1")).set_value("ignore").run()
    assert "Expected output" in " ".join(shown(w.value) for w in at.warning)
    assert at.button(key="next_pipeline").disabled
    at.selectbox(key=k(at, "role_0")).set_value("ignore").run()
    assert "at least one column as Input" in " ".join(shown(w.value) for w in at.warning)


def test_invalid_field_name_is_explained(data_page):
    at = upload(data_page, "support_tickets.csv", TICKETS)
    at.text_input(key=k(at, "fname_0")).set_value("ticket text").run()
    warning = " ".join(shown(w.value) for w in at.warning)
    assert "ticket text" in warning and "letters, digits and underscores" in warning


def test_renaming_a_field_follows_into_the_pipeline(data_page):
    at = upload(data_page, "support_tickets.csv", TICKETS)
    at.text_input(key=k(at, "fname_0")).set_value("message").run()
    step = at.session_state["draft"]["pipeline"][0]
    assert [f["name"] for f in step["fields"] if f["role"] == "input"] == ["message"]
    assert at.session_state["draft"]["data"]["columns"]["ticket"] == "message"


def test_cells_can_be_edited_and_rows_deleted(data_page):
    at = upload(data_page, "support_tickets.csv", TICKETS)
    editor = (
        at.session_state[f"rows_{at.session_state['rev']}__v"]
        if f"rows_{at.session_state['rev']}__v" in at.session_state
        else 0
    )
    key = f"rows_{at.session_state['rev']}__{editor}"
    at.session_state[key] = {
        "edited_rows": {0: {"category": "shipping"}},
        "added_rows": [],
        "deleted_rows": [1],
    }
    at.run()
    df = at.session_state["df"]
    assert len(df) == 59 and df.iloc[0]["category"] == "shipping"


def test_split_counts_and_too_large_split(data_page):
    at = upload(data_page, "support_tickets.csv", TICKETS)
    set_sizes(at, 6, 6, 4)
    assert "6 train**, **6 validation**, **4 test" in texts(at)
    set_sizes(at, 40, 30, 20)
    assert "only 60 usable rows" in " ".join(shown(w.value) for w in at.warning)


def test_data_survives_a_page_change(data_page):
    at = upload(data_page, "support_tickets.csv", TICKETS)
    go(at, "pipeline")
    go(at, "data")
    assert len(at.session_state["df"]) == 60
    assert at.selectbox(key=k(at, "role_1")).value == "output"
