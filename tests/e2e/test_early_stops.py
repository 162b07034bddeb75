"""The Optimize page's two early stops in a real browser (marked e2e): open the support-tickets
sample, turn on "stop when the best score stops improving" and "stop when the rest of the
budget is unlikely to find a better prompt", and read what the cost card says each can do (at
most how much the first saves of the search's scorings; which call limit and chance the second
judges by). No model call is made. Screenshot 05c-optimize-early-stops goes to
docs/screenshots/.
"""

from __future__ import annotations

import pytest
from browser_tour import failure_shot, nav, number, open_tickets_sample, settle, shot_section

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

FLAT = "Stop searching when the best score stops improving"
REACH = "Stop searching when the rest of the budget is unlikely to find a better prompt"


def test_both_early_stops_say_what_they_can_do(tour_server, browser_page, tmp_path):
    with failure_shot(browser_page, tour_server, tmp_path):
        early_stops_tour(tour_server, browser_page)


def early_stops_tour(tour_server, page):
    page.set_default_timeout(60_000)
    page.goto(tour_server.url)
    open_tickets_sample(page, (20, 20, 20))
    nav(page, "Optimize")
    page.get_by_text("Before you start").wait_for()
    for label in (FLAT, REACH):
        page.locator('[data-testid="stCheckbox"]').filter(has_text=label).click()
        settle(page)
    number(page, "Scorings in a row without a better score", 8)
    flat_words = page.get_by_text("Stop when the best score stops improving").last
    reach_words = page.get_by_text("Stop when a better prompt is unlikely").last
    flat_words.wait_for()
    reach_words.wait_for()
    assert "saves at most" in flat_words.inner_text(), flat_words.inner_text()
    assert "less than a 5% chance" in reach_words.inner_text(), reach_words.inner_text()
    shot_section(page, page.get_by_role("heading", name="3. Budget"), reach_words,
                 "05c-optimize-early-stops")  # fmt: skip
