"""The Compare matrix beyond one screen: filters, hardest rows first, pages, the HTML
download, and one row in full."""

from __future__ import annotations

import pandas as pd

from dashboard.run_data import compare as cd
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


def test_a_table_past_ten_thousand_cells_keeps_each_cells_first_result() -> None:
    """1,200 rows x 10 candidates: each cell is its candidate's first result on its row (a
    later rescoring of the same row does not replace it), and a row a candidate was not scored
    on says so."""
    order = [f"c{c}" for c in range(10)]
    results = [
        {"candidate": h, "example_id": f"e{i}", "idx": i, "inputs": {"text": f"row {i}"},
         "outputs": {"label": "yes" if (i + c) % 3 else "no"}, "score": float((i + c) % 3 > 0),
         "error": None, "feedback": None}
        for c, h in enumerate(order) for i in range(1200) if (h, i) != ("c9", 7)
    ]  # fmt: skip
    results.append({**results[0], "outputs": {"label": "later"}, "score": 0.5})  # c0 on e0 again
    table, scores = cd.matrix(pd.DataFrame(results), order, {h: h for h in order},
                              {"e0": {"label": "no"}}, ["label"])  # fmt: skip
    assert table.shape == (1200, 12) and scores.shape == (1200, 10)
    assert table.loc["e0", "c0"] == "✗ no" and scores.loc["e0", "c0"] == 0.0  # the first kept
    assert table.loc["e1", "c0"] == "✓ yes" and table.loc["e0", "expected"] == "no"
    assert table.loc["e7", "c9"] == "not scored" and pd.isna(scores.loc["e7", "c9"])
