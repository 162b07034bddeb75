"""The Compare matrix beyond one screen: filters, hardest rows first, pages, the HTML
download, and one row in full."""

from __future__ import annotations

import pandas as pd

from dashboard.run_data import matrix as mx

IDS = pd.Index(["r1", "r2", "r3", "r4"], name="example_id")
SCORES = pd.DataFrame({"A": [1.0, 0.0, 0.0, 0.5], "B": [1.0, 1.0, 0.0, None]}, index=IDS)
TABLE = pd.DataFrame(
    {"example": ["fine", "=HYPERLINK(\"http://x\")", "<script>alert(1)</script>", "half"],
     "expected": ["a", "b", "c", "d"], "A": ["✓ a", "✗ x", "✗ y", "◐ 0.50 d"],
     "B": ["✓ a", "✓ b", "✗ z", "not scored"]},
    index=IDS,
)  # fmt: skip


def test_filters_keep_the_rows_they_name() -> None:
    assert list(SCORES[mx.kept(SCORES, "All")].index) == ["r1", "r2", "r3", "r4"]
    assert list(SCORES[mx.kept(SCORES, "Failures")].index) == ["r2", "r3", "r4"]
    assert list(SCORES[mx.kept(SCORES, "Differing")].index) == ["r2", "r4"]
    assert list(SCORES[mx.kept(SCORES, "All wrong")].index) == ["r3"]


def test_the_hardest_rows_come_first_and_ties_keep_their_order() -> None:
    assert list(mx.hardest_first(SCORES)) == ["r3", "r4", "r2", "r1"]
    tied = pd.DataFrame({"A": [0.0, 0.0, 1.0]}, index=["x", "y", "z"])
    assert list(mx.hardest_first(tied)) == ["x", "y", "z"]


def test_pages_cover_every_row_once_past_ten_thousand_cells() -> None:
    frame = pd.DataFrame({f"c{i}": range(3000) for i in range(5)})  # 15,000 cells
    size = mx.page_size(5)
    assert size * 5 <= mx.PAGE_CELLS
    count = mx.pages(len(frame), size)
    seen = pd.concat([mx.page(frame, n, size) for n in range(1, count + 1)])
    assert list(seen.index) == list(frame.index)
    assert mx.page(frame, count + 1, size).empty
    assert mx.pages(0, size) == 1 and mx.page_size(500) == 20


def test_the_web_page_escapes_every_text_and_colours_answers_by_score() -> None:
    page = mx.as_html(TABLE, SCORES, "Tickets <run>")
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<title>Tickets &lt;run&gt;</title>" in page
    assert page.count("#dcfce7") == 3 and page.count("#fee2e2") == 3  # right, wrong
    assert '<td style="background:#fef3c7">◐ 0.50 d</td>' in page
    assert "<td>not scored</td>" in page


def test_a_row_in_full_gives_each_candidate_that_scored_it() -> None:
    res = pd.DataFrame([
        {"candidate": "h1", "example_id": "r1", "outputs": {"label": "a", "reasoning": "long"},
         "score": 1.0, "feedback": "exact match: 'a'", "error": None},
        {"candidate": "h2", "example_id": "r1", "outputs": None, "score": 0.0,
         "feedback": None, "error": "no valid answer"},
        {"candidate": "h1", "example_id": "r2", "outputs": {}, "score": 0.0,
         "feedback": None, "error": None},
    ])  # fmt: skip
    found = mx.row_detail(res, "r1", ["h2", "h1", "h3"], {"h1": "Best", "h2": "Baseline"})
    assert [f["name"] for f in found] == ["Baseline", "Best"]
    assert found[1]["outputs"] == {"label": "a", "reasoning": "long"}
    assert found[1]["why"] == "exact match: 'a'" and found[0]["error"] == "no valid answer"
    assert found[0]["outputs"] == {}
