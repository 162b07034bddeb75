"""Prompt versions in a real browser (marked e2e): a small run on the support-tickets sample
finishes, its best is put in use from the Run page (the page says what it replaces), Label a
spreadsheet then defaults to that version, the Prompt versions page lists it with the start
as written, a roll back takes one click, and Label follows it.

When the run kept its start (then its best *is* the prompt as written, one version), Compare's
"Put B in use" adds the candidate that scored highest, so there is a version to roll back from.
Screenshots: docs/screenshots/13a-put-in-use.png, 13b-label-version-in-use.png,
13c-prompt-versions.png, 13d-label-after-roll-back.png.
"""

from __future__ import annotations

import re

import pytest
from browser_tour import button, failure_shot, nav, open_tickets_sample, settle, shot, shot_section

from engine.runs import list_versions

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1200)]

SIZES = (8, 8, 8)


def label_with(page) -> str:
    """What the Label page says it labels with (the caption under its "Label with" menu)."""
    said = page.get_by_text(re.compile(r"^Labelling with v\d+"))
    said.wait_for()
    return said.inner_text()


def test_put_in_use_label_and_roll_back(tour_server, browser_page, tmp_path):
    page, db = browser_page, tour_server.home / "tunesmith_data" / "runs.db"
    with failure_shot(page, tour_server, tmp_path):
        page.set_default_timeout(60_000)
        page.goto(tour_server.url)
        open_tickets_sample(page, SIZES)
        nav(page, "Optimize")
        button(page, "Start optimizing").click()
        page.wait_for_selector('h1:has-text("Run")')
        page.locator(".ts-chip", has_text=re.compile("Finished")).wait_for(timeout=900_000)
        settle(page)

        # the Run page: nothing in use yet, then its best put in use
        name = "Support ticket routing"
        page.get_by_text(f"No prompt of “{name}” is in use yet").wait_for()
        button(page, "Put this prompt in use").click()
        done = page.get_by_text(re.compile(r"v\d of “.*” is in use: Label a spreadsheet"))
        done.wait_for()
        settle(page)
        shot_section(page, done, page.locator(".st-key-run_put_in_use_versions"), "13a-put-in-use")
        versions = list_versions(name, db)
        if len(versions) == 1:  # the start was kept: put the best-scoring other one in use
            assert versions[0].origin == "as written", versions
            nav(page, "Compare")
            button(page, "Put B in use").click()
            page.get_by_text(re.compile(r"v2 of “.*” is in use")).wait_for()
            versions = list_versions(name, db)
        assert [v.in_use for v in versions] == [False, True], versions
        assert versions[0].origin == "as written"
        newest = versions[-1]

        # Label a spreadsheet defaults to the version in use
        nav(page, "Label a spreadsheet")
        shown = label_with(page)
        assert f"Labelling with v{newest.number}, the version in use" in shown, shown
        shot_section(page, page.locator(".st-key-label_version"),
                     page.locator(".st-key-label_upload"), "13b-label-version-in-use")  # fmt: skip

        # the versions page: both listed, the newest in use; roll back in one click
        nav(page, "Prompt versions")
        page.get_by_text(f"In use: v{newest.number}").wait_for()
        page.get_by_text("What changed between two versions").wait_for()
        shot(page, "13c-prompt-versions")
        page.locator(".st-key-use_v1 button").click()
        page.get_by_text("v1 is in use again.").wait_for()
        settle(page)
        assert [v.in_use for v in list_versions(name, db)] == [True, False]

        nav(page, "Label a spreadsheet")
        shown = label_with(page)
        assert "Labelling with v1, the version in use: as written" in shown, shown
        shot_section(page, page.locator(".st-key-label_version"),
                     page.locator(".st-key-label_upload"), "13d-label-after-roll-back")  # fmt: skip
