"""The inputs-only path in a real browser on the embedded model (marked e2e): a person with a
column of text messages and no answers (tools/sms_messages.py, the label column dropped) adds an
empty answer column, has the model draft answers, confirms or corrects a handful in the review
grid, labels the rows the page suggests, and starts a small run on the labelled rows.
Screenshots: docs/screenshots/20-*.png."""

from __future__ import annotations

import csv
import re
import sys

import pytest
from browser_tour import ROOT, button, failure_shot, nav, settle, shot

from engine.runs import version_in_use

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1800)]

sys.path.insert(0, str(ROOT))
from tools.sms_messages import make_rows  # noqa: E402

ROWS = 24
SEED = 11  # none of the levers was chosen on these messages


@pytest.fixture
def server_env(server_env):
    """With E2E_FAKE_LM=1, a scripted LM that reports how sure it is (the suggestions need it)."""
    if server_env.get("TUNESMITH_TEST_LM"):
        return {**server_env, "TUNESMITH_TEST_LM": "labelling_lms:unsure"}
    return server_env


def test_inputs_only_to_a_run(tour_server, browser_page, tmp_path):
    with failure_shot(browser_page, tour_server, tmp_path):
        walk(tour_server, browser_page, tmp_path)


def review_grid(page):
    return page.get_by_test_id("stDataFrame").filter(has_text="Model's draft").first


def first_row(page) -> list[str]:
    """The cells of the review grid's first row, as its accessible table holds them."""
    cells = review_grid(page).locator('table[role="grid"] tbody tr').first.locator("td")
    cells.first.wait_for(state="attached")
    return [c.text_content().strip() for c in cells.all()]


def cell_point(page, row: int, from_right: int) -> tuple[float, float]:
    """A point in the review grid (drawn on a canvas): row `row`, `from_right` pixels left of
    the grid's right edge (its last two columns, "Your answer" and "Draft is right", are sized
    by their headers)."""
    canvas = review_grid(page).get_by_test_id("data-grid-canvas")
    canvas.evaluate("e => e.scrollIntoView({block: 'center'})")
    page.wait_for_timeout(300)
    box = canvas.bounding_box()
    return box["x"] + box["width"] - from_right, box["y"] + 35 + 35 * row + 17


def label_first_row(page, truth: dict[str, str], done: int) -> bool:
    """Confirm the first row's draft when it is right, else pick the right label; True when
    the draft was corrected."""
    _, message, draft, *_ = first_row(page)
    want = truth[message]
    count = page.get_by_text(f"{done + 1} of {ROWS} labelled")
    if draft == want:
        for _ in range(6):  # the first click on the canvas may only give it the focus
            point = cell_point(page, 0, 40)  # the "Draft is right" cell
            page.mouse.move(*point)  # the grid hears a click on a cell it has seen the pointer over
            page.wait_for_timeout(300)
            page.mouse.click(*point)  # select it
            page.wait_for_timeout(300)
            page.keyboard.press(" ")  # and tick it
            settle(page)
            if count.is_visible():
                break
    else:
        point = cell_point(page, 0, 185)  # "Your answer"
        editor = page.locator("#portal input[role='combobox']").last
        for _ in range(5):  # a first click selects the cell, the next one opens its editor
            page.mouse.move(*point)
            page.wait_for_timeout(300)
            page.mouse.click(*point)
            page.wait_for_timeout(500)
            if editor.is_visible():
                break
        editor.wait_for()
        editor.fill(want)  # the list narrows to the label; Enter picks it
        page.get_by_role("option", name=want, exact=True).wait_for()
        editor.press("Enter")
    count.wait_for()
    settle(page)
    return draft != want


def walk(server, page, tmp_path):
    page.set_default_timeout(60_000)
    rows = make_rows(ROWS, seed=SEED)
    truth = {r["message"]: r["label"] for r in rows}
    inputs = tmp_path / "messages.csv"
    with inputs.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["message"])
        writer.writerows([r["message"]] for r in rows)
    page.goto(server.url)
    page.wait_for_selector('h1:has-text("Project")')
    settle(page)
    page.get_by_label("Name", exact=True).fill("Spam from scratch")
    button(page, "Create project").click()
    page.wait_for_selector('h1:has-text("Data")')
    settle(page)
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(inputs))
    page.get_by_text(f"Loaded {ROWS} rows and 1 column").wait_for()
    settle(page)
    page.get_by_text("No answers yet?").wait_for()
    page.get_by_label("Name of the answer column").fill("label")
    page.get_by_label("Labels, separated by commas (for a choice)").fill("spam, ham")
    shot(page, "20-inputs-only-answer-column")
    button(page, "Add an empty answer column").click()
    page.get_by_text(f"0 of {ROWS} labelled").wait_for()
    settle(page)
    number = page.get_by_label("Rows to draft", exact=True)
    number.fill("12")
    number.press("Enter")
    settle(page)
    button(page, "Draft answers").click()
    page.get_by_text("Drafted 12 of 12 rows").wait_for(timeout=900_000)
    settle(page)
    page.get_by_text("Label these 10 next").wait_for()
    shot(page, "20-inputs-only-drafts")
    # label the ten suggested rows (the least sure first): confirm right drafts, correct others
    corrected = sum(label_first_row(page, truth, done) for done in range(10))
    page.get_by_text(f"10 of {ROWS} labelled").wait_for()
    shot(page, "20-inputs-only-labelled")
    project = server.home / "tunesmith_data" / "projects" / "spam-from-scratch"
    labelled = list(csv.DictReader((project / "data.csv").open()))
    given = {r["message"]: r["label"] for r in labelled if r["label"]}
    assert len(given) == 10 and all(truth[m] == a for m, a in given.items()), given
    print(f"corrected {corrected} of 10 drafts")

    # a small run on the labelled rows
    nav(page, "Optimize")
    page.get_by_text("Before you start").wait_for()
    shot(page, "20-inputs-only-optimize")
    button(page, "Start optimizing").click()
    page.wait_for_selector('h1:has-text("Run")')
    page.locator(".ts-chip", has_text="Finished").wait_for(timeout=1_500_000)
    settle(page)
    page.get_by_text("of this run's 10 rows were labelled by hand").wait_for()
    shot(page, "20-inputs-only-run")
    held_out = held_out_rows(project)
    assert len(held_out) == 4

    # the run's prompt put in use: Label a spreadsheet then starts on that version
    button(page, "Put this prompt in use").click()
    page.get_by_text(re.compile(r"v\d of “Spam from scratch” is in use")).wait_for()
    settle(page)
    in_use = version_in_use("Spam from scratch", server.home / "tunesmith_data" / "runs.db")
    assert in_use is not None and in_use.in_use

    # a new spreadsheet labelled with the run's prompt; its corrections flow back
    fresh_rows = make_rows(6, seed=SEED + 1)
    fresh_truth = {r["message"]: r["label"] for r in fresh_rows}
    fresh = tmp_path / "new_messages.csv"
    with fresh.open("w", newline="") as fh:
        csv.writer(fh).writerows([["message"], *([r["message"]] for r in fresh_rows)])
    nav(page, "Label a spreadsheet")
    page.get_by_text(f"Labelling with v{in_use.number}, the version in use").wait_for()
    page.get_by_test_id("stFileUploaderDropzoneInput").first.set_input_files(str(fresh))
    button(page, "Label every row").click()
    page.get_by_text("Labelled 6 of 6 rows").wait_for(timeout=600_000)
    settle(page)
    with page.expect_download() as info:
        button(page, "Download the labelled CSV").click()
    got = list(csv.DictReader(open(info.value.path(), newline="")))  # noqa: SIM115
    # the person ticks the first answer when it is right, and fixes the rest in the file
    result = page.get_by_test_id("stDataFrame").filter(has_text="Checked: right").first
    canvas = result.get_by_test_id("data-grid-canvas")
    canvas.evaluate("e => e.scrollIntoView({block: 'center'})")
    page.wait_for_timeout(300)
    box = canvas.bounding_box()
    ticked = got[0]["label"] == fresh_truth[got[0]["message"]]
    if ticked:
        add_one = page.get_by_role("button", name="Add 1 corrected row(s) to the project")
        for _ in range(4):  # the first click on the canvas may only give it the focus
            page.mouse.click(box["x"] + box["width"] - 40, box["y"] + 35 + 17)
            page.wait_for_timeout(300)
            page.keyboard.press(" ")
            settle(page)
            if add_one.is_visible():
                break
        add_one.wait_for()
        settle(page)
    wrong = [r for r in got if r["label"] != fresh_truth[r["message"]]]
    fixed = tmp_path / "new_messages_corrected.csv"
    with fixed.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(got[0]))
        writer.writeheader()
        writer.writerows({**r, "label": fresh_truth[r["message"]]} for r in got)
    page.get_by_test_id("stFileUploaderDropzoneInput").last.set_input_files(str(fixed))
    page.get_by_text(f"changes the answer of {len(wrong)} row(s)").wait_for()
    settle(page)
    chosen = wrong + got[:1] * ticked
    fresh_ones = {r["message"] for r in chosen} - set(truth)  # not in the project yet
    shot(page, "20-inputs-only-corrections")
    if chosen:
        button(page, f"Add {len(chosen)} corrected row(s) to the project").click()
        page.get_by_text(f"Added {len(fresh_ones)} row(s) to the project's").wait_for()
        if len(chosen) > len(fresh_ones):
            twice = len(chosen) - len(fresh_ones)
            page.get_by_text(f"{twice} row(s) were in the project already").wait_for()
        settle(page)
        shot(page, "20-inputs-only-corrections-added")
    assert held_out_rows(project) == held_out  # the same held-out rows
    rows_now = list(csv.DictReader((project / "data.csv").open()))
    assert len(rows_now) == ROWS - 4 + len(fresh_ones)
    print(f"added {len(fresh_ones)} of {len(chosen)} corrected rows ({len(wrong)} fixed in a file)")

    # the next run starts from the larger labelled data, scored on the same held-out rows
    nav(page, "Optimize")
    page.get_by_text("Before you start").wait_for()
    button(page, "Start optimizing").click()
    page.wait_for_selector('h1:has-text("Run")')
    page.locator(".ts-chip", has_text="Finished").wait_for(timeout=1_500_000)
    settle(page)
    page.get_by_text("Held-out test (4 rows the optimizer never saw)").first.wait_for()
    shot(page, "20-inputs-only-run-again")


def held_out_rows(project) -> list[str]:
    """The messages of the project's held-out rows, as the engine splits its data now."""
    import yaml

    from engine.runs import load_data, spec_from_dict

    draft = yaml.safe_load((project / "project.yaml").read_text(encoding="utf-8"))
    return sorted(e.message for e in load_data(spec_from_dict(draft, project)).test)
