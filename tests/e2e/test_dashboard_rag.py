"""The RAG leg of the dashboard tour in a real browser on the embedded model (marked e2e).

Start from the handbook-questions sample, give the Retrieve step a corpus by uploading it in
the browser (handbook.md, a copy of sample_data/tidewell_corpus.md), try a row and see the
three retrieved passages, then run BootstrapFewShot on a small split (4 train / 4 validation /
4 test). Screenshots 10a-10c go to docs/screenshots/. Checked so far with E2E_FAKE_LM=1 (the
scripted LM, 39 s); the embedded-model leg waits generously for the model's replies.
"""

from __future__ import annotations

import shutil

import pytest
from browser_tour import ROOT, button, failure_shot, nav, number, settle, shot

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1500)]

CORPUS = ROOT / "sample_data" / "tidewell_corpus.md"


def test_rag_tour(tour_server, browser_page, tmp_path):
    with failure_shot(browser_page, tour_server, tmp_path):
        rag_tour(tour_server, browser_page, tmp_path)


def rag_tour(tour_server, page, tmp_path):
    page.set_default_timeout(60_000)
    page.goto(tour_server.url)
    page.wait_for_selector('h1:has-text("Project")')
    settle(page)
    page.locator(".st-key-sample_tidewell_rag button").click()
    page.wait_for_selector('h1:has-text("Data")')
    settle(page)
    for label, value in (("Train rows", 4), ("Validation rows", 4), ("Test rows", 4)):
        number(page, label, value)
    page.get_by_text("Split: 4 train").wait_for()

    # the Retrieve step: upload the corpus in the browser, k stays 3
    nav(page, "Pipeline")
    upload = tmp_path / "handbook.md"
    shutil.copy(CORPUS, upload)
    page.get_by_test_id("stFileUploaderDropzoneInput").first.set_input_files(str(upload))
    page.get_by_text("handbook.md: 43 passages").wait_for()
    settle(page)
    assert page.get_by_label("Passages to retrieve (k)").input_value() == "3"
    page.get_by_text("'handbook.md'").first.wait_for()  # the code preview reads the upload
    shot(page, "10a-rag-pipeline")

    # try a row: the passages BM25 found (k=3; two handbook questions share words with only
    # two passages, and the row is random), then the answer
    button(page, "Try on a random row").click()
    page.get_by_text("What each step did").wait_for(timeout=600_000)
    settle(page)
    page.get_by_text("Searched for:").wait_for()
    found = page.locator("strong", has_text="[1]")
    assert found.count() >= 1 and page.locator("strong", has_text="[4]").count() == 0
    shot(page, "10b-rag-try-row")

    # BootstrapFewShot, small budget
    nav(page, "Optimize")
    page.get_by_text("Examples only: BootstrapFewShot").click()
    settle(page)
    button(page, "Start optimizing").click()
    page.wait_for_selector('h1:has-text("Run")')
    page.locator(".ts-chip", has_text="Finished").wait_for(timeout=1_200_000)
    settle(page)
    shot(page, "10c-rag-run")

    from engine.runs.store._store import get_run, list_runs

    db = tour_server.home / "tunesmith_data" / "runs.db"
    run = get_run(list_runs(db_path=db)[0]["id"], db_path=db)
    assert run["status"] == "finished"
    assert run["spec"]["pipeline"][0]["corpus"] == {"path": "handbook.md"}
