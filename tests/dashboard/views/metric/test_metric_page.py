"""Metric page: scoring rules, their settings, errors, test on 5 rows."""

from __future__ import annotations

import pytest
from apphelpers import go, k, open_sample, shown, texts


@pytest.fixture
def metric(app):
    open_sample(app)
    return go(app, "metric")


def test_rules_are_explained_and_settings_follow_the_rule(metric):
    at = metric
    radio = at.radio(key=k(at, "metric_kind"))
    assert radio.value == "exact"
    assert "Scored output:" in texts(at)
    radio.set_value("numeric").run()
    assert at.number_input(key=k(at, "metric_abs")).value == 0.0
    at.number_input(key=k(at, "metric_abs")).set_value(0.5).run()
    assert at.session_state["draft"]["metric"] == {
        "kind": "numeric",
        "field": "category",
        "params": {"abs_tol": 0.5, "rel_tol": 0.0},
    }
    at.radio(key=k(at, "metric_kind")).set_value("regex").run()
    assert at.text_input(key=k(at, "metric_pattern")).value == r"\b{expected}\b"


def test_invalid_regex_is_explained(metric):
    at = metric
    at.radio(key=k(at, "metric_kind")).set_value("regex").run()
    at.text_input(key=k(at, "metric_pattern")).set_value("([unclosed").run()
    warning = " ".join(shown(w.value) for w in at.warning)
    assert "invalid regex" in warning
    assert at.button(key="next_optimize").disabled


def test_test_on_5_rows_and_rescoring_without_the_model(metric):
    at = metric
    at.button(key="metric_test_run").click().run()
    assert not at.exception
    frame = at.dataframe[0].value
    assert len(frame) == 5 and "score" in frame.columns
    before = [m.value for m in at.metric if m.label == "Average score"]
    assert before and before[0].endswith("%")
    assert "5 rows tell little: one answer more or less right moves this average by 20 points" in (
        " ".join(c.value for c in at.caption)
    )
    runs = at.session_state["metric_test"]
    at.radio(key=k(at, "metric_kind")).set_value("contains").run()
    assert at.session_state["metric_test"] is runs  # no new model calls
    assert len(at.dataframe[0].value) == 5
