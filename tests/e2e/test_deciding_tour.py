"""One tour through Compare's deciding views in a real browser, on one run of the embedded model
(marked e2e and real_lm): random search on the support-tickets sample, run by the worker on
SmolLM2; then the cheapest prompt near the best put in use, which setting mattered, where the
best goes wrong, the best prompt on a second model (the same weights behind llama.cpp's
OpenAI-compatible server on 127.0.0.1), and both models beside the candidates in the rows
table. Then the rows all get wrong as a web page, and a row's reply as the model wrote it.
Screenshots 14a-decide-costs to 14h-decide-row-reply."""

from __future__ import annotations

import csv
import io
import re

import pytest
from browser_tour import ROOT, SHOTS, Server, nav, settle, shot_section
from compare_steps import dashboard_beside_server, models_in_rows, score_on_server, shot_rows

from dashboard.run_data import importance as im
from engine.runs import (
    candidates,
    create_run,
    events,
    load_spec,
    saved_leaderboard,
    trials,
    version_in_use,
)
from engine.runs.process.worker import run_worker
from engine.runs.spec import spec_from_dict

pytestmark = [pytest.mark.e2e, pytest.mark.real_lm, pytest.mark.timeout(1800)]
OWN = "local/smollm2-135m"


def embedded_run(db) -> str:
    """Random search on the embedded model: 7 candidates (zero-shot, copied examples, five
    bootstrapped sets of 1 or 2 examples the model got right), each on 8 validation rows."""
    spec = load_spec(ROOT / "sample_data" / "support_tickets.yaml").to_dict()
    spec["data"].update(train_size=8, val_size=8, test_size=6)
    spec["optimizer"] = {"name": "BootstrapFewShotWithRandomSearch", "params": {
        "num_candidate_programs": 4, "max_bootstrapped_demos": 2, "max_labeled_demos": 2,
        "spend_share": None, "close_enough": None, "race": False}}  # fmt: skip
    run_id = create_run(spec_from_dict(spec, base_dir=ROOT / "sample_data"), db)
    assert run_worker(run_id, db) == "finished"
    return run_id


def test_deciding_on_compare(browser_page, tmp_path):
    with dashboard_beside_server(browser_page, tmp_path) as (server, llama):
        tour(server, browser_page, llama, tmp_path)


def tour(server: Server, page, llama, tmp_path) -> None:
    db = server.home / "tunesmith_data" / "runs.db"
    db.parent.mkdir(parents=True, exist_ok=True)
    run_id = embedded_run(db)
    page.set_default_timeout(60_000)
    page.goto(server.url)
    settle(page)
    nav(page, "Compare")
    page.get_by_text("Example by example").wait_for()

    # cost against score: the cheapest candidate near the best, put in use in one click
    costs = page.get_by_role("heading", name="Cost against score")
    costs.scroll_into_view_if_needed()
    page.locator(f".st-key-cmp_near_use_{run_id} button").click()
    done = page.get_by_text(re.compile(r"v\d+ of “Support ticket routing” is in use"))
    done.wait_for()
    settle(page)
    used = version_in_use("Support ticket routing", db)
    assert used is not None and used.run_id == run_id
    shot_section(page, costs, done, "14a-decide-costs")

    # which setting mattered, from the run's own scorings
    cands, scored = candidates(run_id, db_path=db), trials(run_id, db_path=db)
    frame = im.settings_table(
        im.candidate_settings(events(run_id, types=["proposals"], db_path=db), cands), scored
    )
    shares = im.importances(frame)
    assert any("examples the model got right" in c for c in frame.columns), frame.columns
    mattered = page.get_by_role("heading", name="Which setting mattered")
    mattered.wait_for()
    if shares:
        top = max(shares, key=shares.get)
        page.get_by_text(re.compile(rf"explains the most \({shares[top]:.0%}\)")).wait_for()
        chart = page.locator("[class*='st-key-cmp_by_value_']").first
        chart.locator(".bars path").first.wait_for()
        bottom = chart
        if im.no_difference(frame, shares):  # a varied setting that did not matter, named
            bottom = page.get_by_text("made no difference to speak of")
            bottom.wait_for()
        shot_section(page, mattered, bottom, "14b-decide-importance")
    else:  # every scoring came out the same: the page says so
        said = page.get_by_text(re.compile(r"scorings came out the same"))
        said.wait_for()
        shot_section(page, mattered, said, "14b-decide-importance")

    # where the best goes wrong: expected against answered
    wrong = page.get_by_role("heading", name="Where it goes wrong")
    wrong.scroll_into_view_if_needed()
    grid = page.get_by_test_id("stDataFrame").filter(has_text="answered →").first
    grid.wait_for()
    shot_section(page, wrong, grid, "14e-decide-mix-ups")
    settle(page)
    page.wait_for_timeout(1500)  # the grid takes clicks once it has drawn
    box = grid.bounding_box()  # a click on the first count: the first row, the first answer
    where = (box["x"] + 185, box["y"] + 35 + 17)
    page.mouse.move(*where)  # the grid hears a click on a cell it has seen the pointer over
    page.wait_for_timeout(500)
    page.mouse.click(*where)
    rows_of = page.get_by_text(re.compile(r"Expected \w+, answered \w+: \d+ row\(s\)\."))
    rows_of.wait_for()
    settle(page)
    page.mouse.move(0, 0)  # the grid's toolbar hides again
    shot_section(page, wrong, page.get_by_test_id("stDataFrame").filter(
        has_text="why").last, "14f-decide-mix-up-rows")  # fmt: skip

    # the best prompt on a second model, on the held-out rows
    score_on_server(page, llama.model, llama.api_base)
    standings, _ = saved_leaderboard(run_id, db)
    assert [s.model for s in standings] == [OWN, llama.model]
    assert all(s.n == 6 and len(s.answers) == 6 for s in standings)
    board = page.get_by_role("heading", name="On other models")
    shot_section(page, board, page.get_by_text("Highest score here"), "14c-decide-models")

    # both models beside the candidates, row by row, and in the downloaded CSV
    header, rows = models_in_rows(page, [OWN, llama.model], tmp_path)
    assert len(rows) == 6
    for s in standings:
        column = header.index(f"on {s.model}: score")
        assert sum(float(r[column]) for r in rows) == pytest.approx(s.score * 6, abs=0.01)
    shot_rows(page, "14d-decide-rows")
    wrong_rows_as_a_page(page, tmp_path)
    reply_of_a_row(page)
    assert llama.api_key not in page.content()


def download(page, name: str, target) -> str:
    """Click the download button `name` and return the file's text."""
    with page.expect_download() as info:
        page.get_by_test_id("stDownloadButton").get_by_role("button", name=name).click()
    info.value.save_as(str(target))
    return target.read_text(encoding="utf-8-sig")


def wrong_rows_as_a_page(page, tmp_path) -> None:
    """The rows every shown column gets wrong, as CSV and as a web page with no scripts and no
    outside files, opened in the browser (14g-decide-rows-page)."""
    page.get_by_test_id("stButtonGroup").get_by_text("All wrong", exact=True).click()
    settle(page)
    header, *rows = list(csv.reader(io.StringIO(download(page, "Download as CSV",
                                                         tmp_path / "wrong.csv"))))  # fmt: skip
    scores = [i for i, name in enumerate(header) if name.endswith("score")]
    assert scores and all(float(r[i] or 0) < 1 for r in rows for i in scores), header
    text = download(page, "Download as a web page", tmp_path / "wrong.html")
    assert "<script" not in text and not re.search(r"\b(src|href)\s*=", text)
    assert text.count("<tr>") == len(rows) + 1  # the header, then one per row of the CSV
    shown = page.context.new_page()
    shown.goto((tmp_path / "wrong.html").as_uri())
    shown.get_by_role("heading", name="Support ticket routing").wait_for()
    shown.locator("body").screenshot(path=str(SHOTS / "14g-decide-rows-page.png"))
    shown.close()
    page.get_by_test_id("stButtonGroup").get_by_text("All", exact=True).first.click()
    settle(page)


def reply_of_a_row(page) -> None:
    """A click on the rows table's first row opens it in full; each candidate's reply as the
    model wrote it opens below (14h-decide-row-reply)."""
    grid = page.locator("[class*='st-key-cmp_matrix_']").first
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    where = (box["x"] + 18, box["y"] + 35 + 17)  # the first row's selection box
    page.mouse.move(*where)
    page.wait_for_timeout(500)
    page.mouse.click(*where)
    page.get_by_text("This row in full").wait_for()
    settle(page)
    opener = page.get_by_text("The reply as the model wrote it").first
    opener.click()
    reply = page.get_by_test_id("stExpander").filter(has_text="The reply as the model wrote it")
    reply = reply.first.get_by_test_id("stCode")
    reply.wait_for()
    assert "[[ ## category ## ]]" in reply.inner_text()
    shot_section(page, opener, reply, "14h-decide-row-reply")
