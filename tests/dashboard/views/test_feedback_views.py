"""Feedback shown beside per-example scores: the Run page's test rows, the Compare matrix, and
"try on a row" on the Pipeline page."""

from __future__ import annotations

import pytest
from apphelpers import go, matrix_of, open_sample, set_sizes, shown, texts


@pytest.fixture
def finished(app):
    at = set_sizes(open_sample(app), 6, 6, 6)
    go(at, "optimize")
    at.radio(key=f"goal_{at.session_state['rev']}").set_value("BootstrapFewShot").run()
    at.button(key="start_run").click().run()
    assert not at.exception, at.exception
    return at


def test_run_page_lists_test_rows_with_why(finished):
    at = finished
    expanders = [e.label for e in at.expander]
    assert any(label.startswith("The best prompt on each test row") for label in expanders)
    frame = next(d.value for d in at.dataframe if "why" in d.value.columns)
    assert len(frame) == 6 and {"example", "answer", "score"} <= set(frame.columns)
    for score, why in zip(frame["score"], frame["why"]):
        assert why.startswith("exact match: '" if score == 1 else "expected '")


def test_compare_matrix_has_a_why_column_per_candidate(finished):
    at = go(finished, "compare")
    table = matrix_of(at)
    assert {"Baseline · why", "Best · why"} <= set(table.columns)
    wrong = [w for a, w in zip(table["Baseline"], table["Baseline · why"]) if a.startswith("✗")]
    assert wrong and all(w.startswith("expected '") for w in wrong)
    assert "“why” columns" in texts(at)


def test_try_on_a_row_shows_the_metric_reason(app):
    at = go(open_sample(app), "pipeline")
    at.button(key="try_row").click().run()
    assert not at.exception, at.exception
    captions = [shown(c.value) for c in at.caption]
    line = next(c for c in captions if c.startswith("Metric score for this row"))
    assert " — " in line and ("expected '" in line or "exact match" in line)
