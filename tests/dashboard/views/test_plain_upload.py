"""Words they know, the smaller things (issue 40, item 5): one upload limit, a workbook gets our
own note, a one-column file and a missing expected-output column are explained on the Data page,
the project description offered as the instruction, the first answer says the model loads."""

from __future__ import annotations

import tomllib

import pytest
from apphelpers import ROOT, go, k, shown, texts

from dashboard import lmtools
from engine.runs.data._csv import DEFAULT_MAX_MB


@pytest.fixture
def new_project(app):
    app.text_input[0].set_value("Tickets")
    app.text_input[1].set_value("Route each customer ticket to the team that should answer it.")
    app.button(key="FormSubmitter:new_project-Create project").click().run()
    assert not app.exception, app.exception
    return app


def upload(at, name: str, raw: bytes, mime: str = "text/csv"):
    at.file_uploader(key="csv_upload").upload(name, raw, mime).run()
    assert not at.exception, at.exception
    return at


def test_streamlit_and_the_app_state_one_upload_limit():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == DEFAULT_MAX_MB


def test_a_workbook_gets_our_message_not_a_file_type_refusal(new_project):
    uploader = new_project.file_uploader(key="csv_upload")
    assert list(uploader.proto.type) == []  # any file reaches our reader
    at = upload(new_project, "tickets.xlsx", b"PK\x03\x04" + b"\x00" * 64,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")  # fmt: skip
    error = "\n".join(shown(e.value) for e in at.error)
    assert "Excel workbook" in error and "CSV UTF-8" in error


def test_one_column_is_offered_an_empty_answer_column(new_project):
    at = upload(new_project, "one.csv", b"ticket\nWhere is my parcel?\nRefund please\n")
    page = texts(at)
    assert "No answers yet?" in page  # inputs without answers are accepted (issue 65)
    assert "choose the column that holds" not in page.lower()
    at = go(at, "pipeline")
    page = texts(at)
    assert "Your data has no expected-output column yet" in page
    assert "needs at least one output field" not in page
    assert at.button(key="pipeline_to_data")


def test_short_role_labels_that_fit():
    from dashboard.state import ROLE_LABELS

    assert max(len(label) for label in ROLE_LABELS.values()) <= len("Expected output")


def test_the_project_description_is_offered_as_the_instruction(new_project):
    raw = b"ticket,team\nWhere is my parcel?,shipping\nRefund?,billing\n"
    at = upload(new_project, "t.csv", raw)
    at = go(at, "pipeline")
    key = k(at, "step_instr_0")
    at.text_area(key=key).set_value("").run()
    at.button(key="use_description_0").click().run()
    assert not at.exception, at.exception
    assert at.session_state["draft"]["pipeline"][0]["instructions"] == (
        "Route each customer ticket to the team that should answer it."
    )
    assert not [b for b in at.button if b.key == "use_description_0"]  # filled: not offered


def test_the_first_answer_of_the_built_in_model_says_it_loads():
    model = "local/first-time-probe"
    assert "Loading the built-in model first-time-probe" in shown(lmtools.asking_text(model))
    lmtools.asked(model)
    assert shown(lmtools.asking_text(model)) == f"Asking {model}…"
    assert shown(lmtools.asking_text("openai/gpt-4o-mini")) == "Asking openai/gpt-4o-mini…"
