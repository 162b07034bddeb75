"""The answer's ✓ / ✗ on a tried row follows the metric when there is one expected field: a
"contains" metric that passes must not show ✗ because the answer is a sentence (seen in the RAG
tour: "The largest market ... is the Netherlands." marked ✗ next to a score of 1.00)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest


def _page(score: float | None) -> None:
    from dashboard.lmtools import RowRun
    from dashboard.widgets.pipeline.row_result import show_row_run

    run = RowRun(
        inputs={"question": "What is the largest market?"},
        expected={"answer": "Netherlands"},
        outputs={"answer": "The largest market is the Netherlands."},
    )
    show_row_run(run, score, None)


@pytest.mark.parametrize(("score", "mark"), [(1.0, "✓"), (0.0, "✗"), (None, "✗")])
def test_the_mark_follows_the_metric_score(score, mark):
    at = AppTest.from_function(_page, args=(score,), default_timeout=30).run()
    assert not at.exception, at.exception
    marked = [m.value for m in at.markdown if m.value.startswith("**answer**")]
    assert marked and mark in marked[0]
