"""Five browser sessions on one dashboard (issue 14, concurrency): each opens the support-tickets
sample, starts a random-search run and watches it live while the other sessions' workers write
to the same store. No session shows an error, nothing logs "database is locked", and every run
keeps all its rows. The scripted LM keeps the workers writing at full speed."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from browser_tour import (
    CHROMIUM,
    CHROMIUM_ARGS,
    ROOT,
    Server,
    button,
    nav,
    open_tickets_sample,
    settle,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]
SESSIONS = 5
SIZES = (12, 12, 8)


def start_run(page, url: str) -> None:
    """Project → the sample, the split, random search, start (without waiting for the end)."""
    page.set_default_timeout(90_000)
    page.goto(url)
    open_tickets_sample(page, SIZES)
    nav(page, "Optimize")
    page.get_by_text("Search over example sets: random search").click()
    settle(page)
    button(page, "Start optimizing").click()
    page.wait_for_selector('h1:has-text("Run")')


def rows_kept(db: Path) -> list[str]:
    """What is missing from the store: runs not finished, trials whose per-example scores are
    fewer than the rows they were scored on, gaps in trial numbers."""
    from engine.runs.store._store import list_runs, trials

    problems = []
    for run in list_runs(db_path=db):
        if run["status"] != "finished":
            problems.append(f"{run['id']}: {run['status']} ({run.get('reason')})")
        scored = trials(run["id"], db_path=db)
        numbers = sorted(t["number"] for t in scored)
        if numbers != list(range(numbers[0], numbers[0] + len(numbers))):
            problems.append(f"{run['id']}: trial numbers {numbers}")
        problems += [
            f"{run['id']} trial {t['number']}: {len(t['example_scores'])} of {t['n']} rows"
            for t in scored
            if len(t["example_scores"]) != t["n"]
        ]
    return problems


def test_five_sessions_each_start_and_watch_a_run(tmp_path: Path) -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed at /usr/bin/chromium (apt-get install chromium)")
    playwright = pytest.importorskip("playwright.sync_api")
    env = {
        "TUNESMITH_TEST_LM": "fake_lms:oracle",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "tests" / "dashboard"), str(ROOT)]),
    }
    server = Server(tmp_path / "home", env)
    try:
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            contexts = [
                browser.new_context(viewport={"width": 1280, "height": 900})
                for _ in range(SESSIONS)
            ]
            pages = [c.new_page() for c in contexts]
            try:
                for page in pages:  # each run starts while the earlier ones are writing
                    start_run(page, server.url)
                for page in pages:
                    page.locator(".ts-chip", has_text=re.compile("Finished")).wait_for(
                        timeout=300_000
                    )
                    settle(page)
                    assert page.get_by_test_id("stException").count() == 0
                    assert "database is locked" not in page.inner_text("body")
                run_ids = {re.search(r"run=([\w-]+)", page.url).group(1) for page in pages}
                assert len(run_ids) == SESSIONS, [page.url for page in pages]
            finally:
                for context in contexts:
                    context.close()
                browser.close()
    finally:
        server.stop()
    db = server.home / "tunesmith_data" / "runs.db"
    from engine.runs.store._store import list_runs

    assert {run["id"] for run in list_runs(db_path=db)} == run_ids
    assert rows_kept(db) == []
    logs = [f for f in server.home.rglob("*.log")]
    locked = [str(f) for f in logs if "database is locked" in f.read_text(errors="replace")]
    assert logs and locked == [], locked
