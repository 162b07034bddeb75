"""The dashboard tour's MIPROv2 leg in a real browser on the embedded model (marked e2e).

Start from the support-tickets sample with a small split (6 train / 8 validation / 8 test), pick
MIPROv2 Light with at most 2 examples per prompt (3 instructions × up to 6 demo sets, 10 trials,
~100 LM calls, the model is its own proposer), start, watch the stage and the trial count,
then check and screenshot the Proposed instructions table and the instruction × demo-set
heatmap, and find the chosen instruction on Compare and Export.
"""

from __future__ import annotations

import re

import pytest
from browser_tour import (
    button,
    failure_shot,
    nav,
    number,
    open_tickets_sample,
    settle,
    shot,
    shot_section,
    stored_run,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

TRAIN, VAL, TEST = 6, 8, 8


def test_mipro_tour(tour_server, browser_page, tmp_path):
    with failure_shot(browser_page, tour_server, tmp_path):
        mipro_tour(tour_server, browser_page)


def grid_texts(table) -> list[str]:
    """The text of every rendered cell of an st.dataframe (from the grid's accessible table)."""
    return table.locator("[role='gridcell']").all_inner_texts()


def mipro_tour(server, page):
    page.set_default_timeout(60_000)
    page.goto(server.url)
    open_tickets_sample(page, (TRAIN, VAL, TEST))  # pipeline and metric come with it

    # MIPROv2 Light, at most 2 examples per prompt, the task model as its own proposer
    nav(page, "Optimize")
    page.get_by_text("Instructions and examples: MIPROv2").click()
    settle(page)
    search = page.get_by_role("radiogroup", name="MIPROv2 search")
    search.get_by_text("Light", exact=True).click()
    settle(page)
    page.get_by_text("Your instruction + 2 proposed, × 6 example sets; about 10 trials").wait_for()
    page.get_by_text("Same as the task model").wait_for()
    page.get_by_text("Optimizer settings").click()
    number(page, "Model-made examples (max)", 2)
    number(page, "Examples in the prompt (max)", 2)
    page.get_by_text("How this was estimated").click()  # the card's details: roles, notes
    roles = re.compile(r"Search calls by role: task model ~\d+ · proposer ~\d+")
    page.get_by_text(roles).wait_for()
    page.get_by_text(re.compile(r"10 trials over 3 instruction\(s\) x 6 example sets")).wait_for()
    button(page, "Start optimizing").click()

    # the run: the stage and the trial count while it searches, then the end
    page.wait_for_selector('h1:has-text("Run")')
    assert re.search(r"[?&]run=", page.url)
    stage = page.get_by_text(re.compile(r"Searching — candidate \d+ of \d+")).first
    stage.wait_for(timeout=600_000)
    total = int(re.search(r"candidate \d+ of (\d+)", stage.inner_text()).group(1))
    assert total == 10
    page.locator(".ts-chip", has_text=re.compile("Finished")).wait_for(timeout=900_000)
    settle(page)
    run, cands, trial_rows, proposal_events = stored_run(server, "proposals")
    assert run["status"] == "finished", run.get("reason")
    assert proposal_events, "the run recorded no proposals"
    searched = [t for t in trial_rows if t["subset"] in ("val", "minibatch")]
    assert len(searched) >= 3, trial_rows
    activity = page.get_by_test_id("stCode").first.inner_text()
    assert "Search ended (finished)" in activity
    assert page.locator(".st-key-trial_chart .scatterlayer .point").count() >= 3

    # (1) the Proposed instructions table: one row per instruction, with its text
    from dashboard.run_data.instructions import proposals_table, score_grid

    expected = proposals_table(proposal_events, cands, trial_rows, run["best_candidate"])
    assert len(expected) >= 2 and expected[0]["#"] == 0
    heading = page.get_by_role("heading", name="Proposed instructions")
    heading.scroll_into_view_if_needed()
    table = page.get_by_test_id("stDataFrame").filter(has_text="the chosen prompt")
    table.wait_for()
    cells = grid_texts(table)
    # the proposed instructions lead the table; dropped replies follow ("#" empty) and may lie
    # below the rows the grid renders (their rows are checked by tests/dashboard AppTests)
    for row in (r for r in expected if r["#"] is not None):
        assert row["instruction"] in cells, (row, cells)
        assert row["result"] in cells, (row, cells)
    tried = sum(1 for row in expected if row["trials"])
    assert tried >= 2, expected
    shot_section(page, heading, table, "06c-mipro-proposals")

    # (2) the heatmap: instruction rows × demo-set columns, scored cells labelled
    rows, cols, grid = score_grid(proposal_events, cands, trial_rows, "classify")
    heat_heading = page.get_by_role("heading", name="Which combination scores best")
    heat = page.locator(".st-key-proposals_heatmap")
    heat.locator(".heatmaplayer").wait_for()
    plotted = heat.locator(".js-plotly-plot").evaluate(
        "g => ({z: g.data[0].z, x: g.data[0].x, y: g.data[0].y})"
    )
    assert plotted["y"] == [f"instruction {r}" for r in rows] and len(rows) >= 2
    assert plotted["x"] == [f"example set {c}" for c in cols] and len(cols) >= 2
    filled = [v for line in grid for v in line if v is not None]
    assert len(filled) >= 2, grid
    labels = heat.locator(".heatmaplayer text").evaluate_all("ts => ts.map(t => t.textContent)")
    assert sum(bool(re.fullmatch(r"\d+%", t.strip())) for t in labels) == len(filled), labels
    shot_section(page, heat_heading, heat, "06d-mipro-heatmap")

    # Compare and Export show the chosen instruction
    best = next(c for c in cands if c["hash"] == run["best_candidate"])
    chosen = best["state"]["classify"]["signature"]["instructions"].strip()
    kept_own = best["hash"] == next(t["candidate"] for t in trial_rows if t["subset"] == "val")
    # when the start was kept, B is the candidate that scored highest on validation above it
    first_val: dict[str, float] = {}
    for t in trial_rows:
        if t["subset"] == "val" and t["score"] is not None:
            first_val.setdefault(t["candidate"], t["score"])
    above = [h for h, v in first_val.items() if h != best["hash"] and v > first_val[best["hash"]]]
    tried = max(above, key=first_val.__getitem__) if kept_own and above else None
    shown = next(c for c in cands if c["hash"] == (tried or best["hash"]))
    heading = (
        "Best tried, not kept" if tried else ("Baseline, kept as the best" if kept_own else "Best")
    )
    nav(page, "Compare")
    page.get_by_text("Example by example").wait_for()
    page.get_by_text(f"B · {heading}", exact=True).wait_for()
    texts = page.locator(".ts-diff").all_inner_texts()
    b_text = shown["state"]["classify"]["signature"]["instructions"].strip()
    assert texts[1].strip() == b_text, (texts, b_text)
    shot(page, "07b-compare-mipro")
    # which setting mattered: shown whenever the run's own scorings can say
    from dashboard.run_data import importance as im

    frame = im.settings_table(im.candidate_settings(proposal_events, cands), trial_rows)
    shares = im.importances(frame)
    mattered = page.get_by_role("heading", name="Which setting mattered")
    if shares:
        top = max(shares, key=shares.get)
        mattered.wait_for()
        page.get_by_text(re.compile(rf"explains the most \({shares[top]:.0%}\)")).wait_for()
        chart = page.locator("[class*='st-key-cmp_by_value_']").first
        chart.locator(".bars path").first.wait_for()
        shot_section(page, mattered, chart, "07f-compare-importance")
    elif im.no_difference(frame, shares):  # every scoring the same: the settings are named
        mattered.wait_for()
        page.get_by_text(re.compile(r"scorings came out the same")).wait_for()
    else:
        assert mattered.count() == 0, "no section where the scorings cannot say"

    nav(page, "Export")
    page.get_by_text(run["id"]).first.wait_for()
    line = page.get_by_text(re.compile(r"^Chosen instruction · step classify"))
    line.wait_for()
    box = page.locator(".ts-diff").first
    assert box.is_visible() and box.inner_text().strip() == chosen
    own = chosen == expected[0]["instruction"].strip()
    assert ("your own, unchanged" in line.inner_text()) == own, line.inner_text()
    shot(page, "08b-export-mipro")
