"""The dashboard tour's GEPA leg in a real browser (marked e2e).

On the embedded model: the support-tickets sample with a small split (12 train / 6 validation /
8 test), GEPA with "Set the runs" at 20 program runs, the task model as its own reflector. When
the run ends, the Run page must show the lineage tree and the Pareto matrix of what the store
holds: one circle per candidate with a full validation score (candidate 0 at least), one matrix
row per candidate and one column per validation row, and a caption whose counts are the run's
`reflection` events. Hovering a circle (a real mouse move in Chromium) shows its instruction.

Why 12 train rows and 20 runs: a reflection of the 135M model takes ~20-30 s (256 tokens) and
usually gives no usable instruction, which costs no program run. On 6 train rows every
minibatch is soon one the parent was already scored on (free too), so only GEPA's idle stop
(10 steps that score nothing new) ends the search: 10+ minutes. With 12 rows each step reads a
new minibatch (3 runs), so 20 runs = the 6-row baseline + 3 reflection steps, ~2-3 minutes.
The weak reflector means nothing may be kept and the tree may be one circle.

For the screenshots, a second server runs the same leg on a scripted LM that learns from the
reflections (tests/e2e/gepa_lms.py), so the tree has branches and the front several candidates:
docs/screenshots/06e-gepa-lineage.png, 06f-gepa-pareto.png and 06g-gepa-change.png (what the best
child changed against its parent, and the feedback its reflection read). On the way,
docs/screenshots/05b-optimize-gepa.png: GEPA's search sizes, its run count and its settings,
drawn from its registry entry.
"""

from __future__ import annotations

import html
import os
import re

import pytest
from browser_tour import (
    ROOT,
    Server,
    button,
    failure_shot,
    nav,
    number,
    open_tickets_sample,
    settle,
    shot_section,
    stored_run,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

TRAIN, VAL, TEST = 12, 6, 8
RUNS = 20  # program runs (metric calls) on the embedded model: 3 reflection steps
SCRIPTED_TRAIN, SCRIPTED_VAL, SCRIPTED_RUNS = 10, 8, 160


def test_gepa_tour(tour_server, browser_page, tmp_path):
    with failure_shot(browser_page, tour_server, tmp_path):
        gepa_leg(tour_server, browser_page, (TRAIN, VAL, TEST), RUNS, tmp_path)


def test_gepa_views_on_a_learning_lm(browser_page, tmp_path):
    """The same leg on the scripted learner: several kept candidates, then the screenshots."""
    env = {
        "TUNESMITH_TEST_LM": "gepa_lms:learner",
        "PYTHONPATH": os.pathsep.join(
            [str(ROOT / "tests" / "e2e"), str(ROOT / "tests" / "dashboard"), str(ROOT)]
        ),
    }
    server = Server(tmp_path / "home", env)
    try:
        with failure_shot(browser_page, server, tmp_path):
            sizes = (SCRIPTED_TRAIN, SCRIPTED_VAL, TEST)
            views = gepa_leg(server, browser_page, sizes, SCRIPTED_RUNS, tmp_path)
            kept, nodes = views["kept"], views["nodes"]
            assert kept >= 3 and nodes >= 4, views
            assert views["depth"] >= 2, views  # a child of a child
            assert views["front"] >= 2, views  # more than one candidate is best somewhere
            page = browser_page
            shot_section(page, views["lineage_heading"], views["lineage"], "06e-gepa-lineage")
            shot_section(page, views["pareto_heading"], views["pareto"], "06f-gepa-pareto")
            change = candidate_change_shows_the_best_child(page, server)
            shot_section(page, change, change, "06g-gepa-change")
    finally:
        server.stop()


def start_gepa(page, sizes: tuple[int, int, int], runs: int) -> None:
    """Project → the support-tickets sample, the split, GEPA with `runs` program runs, start."""
    page.set_default_timeout(60_000)
    open_tickets_sample(page, sizes)

    nav(page, "Optimize")
    page.get_by_text("Learn from feedback: GEPA").click()
    settle(page)
    search = page.get_by_role("radiogroup", name="GEPA search")
    search.get_by_text("Light", exact=True).wait_for()
    search.get_by_text("Set the runs", exact=True).click()
    settle(page)
    number(page, "Program runs (max)", runs)
    page.get_by_text("Optimizer settings").click()
    page.get_by_label("Rows the reflection reads", exact=True).wait_for()
    page.get_by_text("Same as the task model").wait_for()
    note = page.get_by_text("Each step, GEPA runs the prompt on a few training rows")
    title = page.get_by_text("GEPA search", exact=True)  # sizes, runs, form: from its entry
    shot_section(page, title, note, "05b-optimize-gepa", pad=32)
    button(page, "Start optimizing").click()


def gepa_leg(server, page, sizes: tuple[int, int, int], runs: int, out) -> dict:
    """The leg; `out`: a folder for a look at the hover label (hover.png)."""
    page.goto(server.url)
    start_gepa(page, sizes, runs)
    page.wait_for_selector('h1:has-text("Run")')
    assert re.search(r"[?&]run=", page.url)
    page.locator(".ts-chip", has_text=re.compile("Finished")).wait_for(timeout=600_000)
    settle(page)
    run, cands, trial_rows, reflections = stored_run(server, "reflection")
    assert run["status"] == "finished", run.get("reason")
    assert run["spec"]["optimizer"]["params"]["max_metric_calls"] == runs, run["spec"]
    assert reflections, "the run recorded no reflection events"
    activity = page.get_by_test_id("stCode").first.inner_text()
    assert "Search ended (finished)" in activity

    # the caption counts the store's reflection events: kept = beat the parent on its
    # minibatch and scored on the validation rows
    steps = [e["data"] for e in reflections]
    iterations = [s["iteration"] for s in steps]
    assert len(set(iterations)) == len(iterations), iterations  # no resume: each once
    kept = sum(1 for s in steps if s.get("accepted") and "child_index" in s)
    worse = sum(1 for s in steps if s.get("child") and not s.get("accepted"))
    caption = page.get_by_text(re.compile(r"^\d+ reflection step\(s\), \d+ kept")).first
    caption.wait_for()
    text = caption.inner_text()
    counts = re.match(r"(\d+) reflection step\(s\), (\d+) kept", text)
    assert (int(counts.group(1)), int(counts.group(2))) == (len(steps), kept), (text, steps)
    assert (f"{worse} did worse than their parent" in text) == bool(worse), (text, worse)

    # (1) the lineage: a circle per candidate with a full validation score, 0 = the start
    validated = list(dict.fromkeys(t["candidate"] for t in trial_rows if t["subset"] == "val"))
    # the run's last step may add the chosen program with calibrated choices (no LM call)
    calibrated = [c for c in cands if c["origin"] == "choice calibration"]
    assert len(validated) == 1 + kept + len(calibrated), (validated, steps)
    lineage_heading = page.get_by_role("heading", name="Lineage of the candidates")
    lineage = page.locator(".st-key-gepa_lineage")
    lineage_heading.scroll_into_view_if_needed()
    lineage.locator(".scatterlayer .point").first.wait_for()
    figure = lineage.locator(".js-plotly-plot").evaluate(
        "g => g.data.map(t => ({mode: t.mode, x: t.x, y: t.y, text: t.text, hover: t.hovertext}))"
    )
    nodes = next(t for t in figure if "markers" in t["mode"])
    assert nodes["text"][0] == "0" and len(nodes["text"]) == len(validated), nodes["text"]
    assert lineage.locator(".scatterlayer .point").count() == len(validated)
    by_hash = {c["hash"]: c for c in cands}
    instructions = [by_hash[h]["state"]["classify"]["signature"]["instructions"] for h in validated]
    for text, hover in zip(instructions, nodes["hover"], strict=True):
        assert html.escape(first_words(text)) in hover, (text, hover)
    edges = next(t for t in figure if t["mode"] == "lines")
    assert sum(x is None for x in edges["x"]) == sum(
        len([p for p in by_hash[h].get("parents") or [] if p in validated]) for h in validated
    )
    hover_shows_instruction(page, lineage, len(validated) - 1, instructions[-1], out)

    # (2) the Pareto matrix: candidates (rows) × validation rows (columns)
    pareto_heading = page.get_by_role("heading", name="Who is best where")
    pareto = page.locator(".st-key-gepa_pareto")
    pareto.locator(".heatmaplayer").wait_for()
    matrix = pareto.locator(".js-plotly-plot").evaluate(
        "g => ({z: g.data[0].z, x: g.data[0].x, y: g.data[0].y, text: g.data[0].text})"
    )
    assert len(matrix["y"]) == len(validated) and len(matrix["x"]) == sizes[1], matrix
    assert all(len(row) == sizes[1] for row in matrix["z"]), matrix["z"]
    first_val = next(t for t in trial_rows if t["subset"] == "val")
    assert [round(v) for v in matrix["z"][0]] == [
        round(100 * s) for s in first_val["example_scores"].values()
    ], (matrix["z"][0], first_val["example_scores"])
    stars = [sum(mark == "★" for mark in row) for row in matrix["text"]]
    for j in range(sizes[1]):  # ★ on the top score of each column, none where all fail
        top = max(row[j] for row in matrix["z"])
        starred = [row[j] == top and top > 0 for row in matrix["z"]]
        assert [row[j] == "★" for row in matrix["text"]] == starred, (j, matrix)
    depth = max(int(round(x)) for x in nodes["x"])
    return {
        "kept": kept, "nodes": len(validated), "depth": depth,
        "front": sum(1 for n in stars if n), "lineage_heading": lineage_heading,
        "lineage": lineage, "pareto_heading": pareto_heading, "pareto": pareto,
    }  # fmt: skip


def candidate_change_shows_the_best_child(page, server):
    """The picker starts on the best kept child; its box holds the stored instruction and the
    feedback its reflection read is listed."""
    run, cands, trial_rows, reflections = stored_run(server, "reflection")
    best = next(c for c in cands if c["hash"] == run["best_candidate"])
    section = page.locator(".st-key-gepa_change")
    section.get_by_text("What the reflection read").wait_for()
    boxes = section.locator(".ts-diff").all_inner_texts()
    chosen = best["state"]["classify"]["signature"]["instructions"].strip()
    assert boxes[1].strip() == chosen, (boxes, chosen)
    reflection = next(e["data"] for e in reflections if e["data"].get("child") == best["hash"])
    read = [r["feedback"] for records in reflection["records"].values() for r in records]
    shown = section.locator("li").all_inner_texts()
    assert shown and shown[0].strip() == read[0].strip(), (shown, read)
    return section


def first_words(text: str, n: int = 6) -> str:
    return " ".join(text.split()[:n])


def hover_shows_instruction(page, chart, index: int, instruction: str, out) -> None:
    """Move the mouse onto circle `index` and read plotly's hover label."""
    chart.scroll_into_view_if_needed()
    point = chart.locator(".scatterlayer .trace").last.locator(".point").nth(index)
    box = point.bounding_box()
    label = chart.locator(".hoverlayer .hovertext")
    for dx in (0, 1, -1):  # plotly hovers on mouse moves: nudge if the first one was missed
        page.mouse.move(box["x"] + box["width"] / 2 + dx, box["y"] + box["height"] / 2)
        try:
            label.first.wait_for(timeout=3_000)
            break
        except Exception:  # noqa: BLE001 - try the next nudge
            continue
    text = label.first.evaluate(  # an SVG text, one tspan per line
        "e => [...e.querySelectorAll('tspan.line')].map(t => t.textContent).join(' ')"
    )
    text = " ".join(text.split())
    page.screenshot(path=str(out / "hover.png"))
    assert f"candidate {index}" in text, text
    assert first_words(instruction) in text, (instruction, text)
