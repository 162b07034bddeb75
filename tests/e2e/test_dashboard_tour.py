"""The whole dashboard tour in a real browser on the embedded model (marked e2e).

Upload sample_data/support_tickets.csv, map the columns, write the signature, try a row, pick
BootstrapFewShot with a small split (6 train / 6 validation / 4 test, ~30 LM calls), start,
watch the chart fill and the run finish, compare, download the program JSON and load it into an
engine program. Screenshots of every page go to docs/screenshots/.
"""

from __future__ import annotations

import json
import os
import re

import pytest
from browser_tour import ROOT, button, failure_shot, nav, number, select, settle, shot

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1800)]

TICKETS = ROOT / "sample_data" / "support_tickets.csv"


def test_full_tour(tour_server, browser_page, tmp_path):
    with failure_shot(browser_page, tour_server, tmp_path):
        tour(tour_server, browser_page, tmp_path)


def tour(tour_server, page, tmp_path):
    page.set_default_timeout(60_000)
    page.goto(tour_server.url)
    page.wait_for_selector('[data-testid="stApp"]')
    page.wait_for_selector('h1:has-text("Project")')
    settle(page)
    shot(page, "01-project")

    # a new project, then the data
    page.get_by_label("Name").fill("Ticket routing")
    page.get_by_label("What should the model do? (optional)").fill(
        "Send each support ticket to the right team"
    )
    button(page, "Create project").click()
    page.wait_for_selector('h1:has-text("Data")')
    settle(page)
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(TICKETS))
    page.get_by_text("Loaded 60 rows").wait_for()
    settle(page)
    select(page, "Role of column ticket", "Input")
    select(page, "Role of column category", "Expected output")
    for label, value in (("Train rows", 6), ("Validation rows", 6), ("Test rows", 4)):
        number(page, label, value)
    page.get_by_text("Split: 6 train").wait_for()
    shot(page, "02-data")

    # the signature
    nav(page, "Pipeline")
    instructions = page.get_by_label("Instructions")
    instructions.fill("Read the customer's support ticket and decide which team should handle it.")
    instructions.press("Control+Enter")
    settle(page)
    page.get_by_text("class Classify(dspy.Signature)").wait_for()
    button(page, "Try on a random row").click()
    page.get_by_text("Tokens (prompt + answer)").first.wait_for(timeout=600_000)
    settle(page)
    shot(page, "03-pipeline")

    nav(page, "Metric")
    if os.environ.get("E2E_FAKE_LM"):  # 5 more model calls: covered by the AppTests otherwise
        button(page, "Test on 5 rows").click()
        page.get_by_text("Average score").first.wait_for(timeout=600_000)
        settle(page)
    shot(page, "04-metric")

    nav(page, "Optimize")
    page.get_by_text("Examples only: BootstrapFewShot").click()
    settle(page)
    page.get_by_text("Before you start").wait_for()
    shot(page, "05-optimize")
    button(page, "Start optimizing").click()

    # the run: trials appear on the chart, then it finishes
    page.wait_for_selector('h1:has-text("Run")')
    assert re.search(r"[?&]run=", page.url)
    page.wait_for_selector(".js-plotly-plot .scatterlayer .point", timeout=900_000)
    shot(page, "06-run-live")
    page.locator(".ts-chip", has_text=re.compile("Finished|Stopped")).wait_for(timeout=1_200_000)
    settle(page)
    assert page.locator(".js-plotly-plot .scatterlayer .point").count() >= 2
    shot(page, "06-run")

    nav(page, "Compare")
    page.get_by_text("Example by example").wait_for()
    shot(page, "07-compare")

    nav(page, "Export")
    downloads = page.get_by_role("button", name="Download")
    with page.expect_download() as info:  # the first: the summary for stakeholders (HTML)
        downloads.nth(0).click()
    summary = tmp_path / "summary.html"
    info.value.save_as(str(summary))
    assert "on new rows." in summary.read_text() and "<script" not in summary.read_text()
    with page.expect_download() as info:  # then the program (JSON)
        downloads.nth(1).click()
    target = tmp_path / "program.json"
    info.value.save_as(str(target))
    shot(page, "08-export")

    nav(page, "Runs")
    page.get_by_text("Overlay runs").wait_for()
    shot(page, "09-runs")

    # the downloaded JSON loads into an engine program built from the run's spec
    from engine.runs.export import run_spec
    from engine.runs.pipeline import build_program
    from engine.runs.store import get_run, list_runs

    db = tour_server.home / "tunesmith_data" / "runs.db"
    run = get_run(list_runs(db_path=db)[0]["id"], db_path=db)
    assert run["status"] in ("finished", "stopped: budget")
    state = json.loads(target.read_text())
    assert "classify" in state
    program = build_program(run_spec(run))
    program.load(str(target))
    assert program.classify.signature.instructions.startswith("Read the customer's support ticket")
