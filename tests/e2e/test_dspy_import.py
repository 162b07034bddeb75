"""A DSPy program brought in through the browser (marked e2e), on the embedded model.

On the Project page, "Or bring in a DSPy program": upload the JSON the real `dspy` saved
(restate -> extract -> classify, a demo on two steps), the program's .py and a CSV of
tickets; the new project opens with the three steps. The Pipeline page shows them with the
program's instructions, and trying a row runs all three steps on the embedded model.
Screenshots dspy-import-1..3 go to docs/screenshots/.
"""

from __future__ import annotations

import sys

import pytest
from browser_tour import ROOT, button, failure_shot, nav, settle, shot

sys.path.insert(0, str(ROOT / "tests" / "runs"))  # the runs tests' DSPy program helper
from dspy_programs import saved_program  # noqa: E402

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]
pytest.importorskip("dspy", reason="the dev extra installs dspy==3.4.1 for interop tests")


def test_dspy_import_tour(tour_server, browser_page, tmp_path):
    with failure_shot(browser_page, tour_server, tmp_path):
        dspy_import_tour(tour_server, browser_page, tmp_path)


def upload(page, key: str, path) -> None:
    page.locator(f".st-key-{key} [data-testid='stFileUploaderDropzoneInput']").set_input_files(
        str(path)
    )
    page.locator(f".st-key-{key} [data-testid='stFileChipName']", has_text=path.name).wait_for()
    settle(page)


def dspy_import_tour(tour_server, page, tmp_path):
    saved, source = saved_program(tmp_path)
    tickets = tmp_path / "tickets.csv"
    tickets.write_bytes((ROOT / "sample_data" / "support_tickets.csv").read_bytes())
    page.set_default_timeout(60_000)
    page.goto(tour_server.url)
    page.wait_for_selector('h1:has-text("Project")')
    settle(page)
    upload(page, "dspy_json", saved)
    upload(page, "dspy_py", source)
    upload(page, "dspy_csv", tickets)
    page.get_by_label("Project name (optional)").fill("Ticket router")
    page.get_by_label("Project name (optional)").press("Enter")
    settle(page)
    button(page, "Bring in the program").click()
    page.get_by_text("Brought in 3 steps").wait_for()
    settle(page)
    assert page.get_by_text("Open now: Ticket router").count() == 1
    shot(page, "dspy-import-1-project")

    nav(page, "Pipeline")
    page.get_by_text("Decide which team should handle the ticket.").first.wait_for()
    shot(page, "dspy-import-2-pipeline")
    button(page, "Try on a random row").click()
    page.get_by_text("Model's answer").wait_for(timeout=600_000)
    answer = page.locator("[data-testid='stVerticalBlock']", has_text="Model's answer").last
    text = answer.inner_text()
    assert all(name in text for name in ("restated", "topic", "reasoning", "category")), text
    settle(page)
    shot(page, "dspy-import-3-try-row")
