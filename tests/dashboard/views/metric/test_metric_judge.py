"""Metric page with an LLM judge: criteria and scale, scores with the judge's reasons, feedback
for the built-in rules, and the calibration step (agreement, and a warning below 80%)."""

from __future__ import annotations

import pytest
from apphelpers import go, k, open_sample, shown, texts


@pytest.fixture
def judge_page(home, monkeypatch):
    import streamlit as st
    from apphelpers import APP
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("TUNESMITH_TEST_LM", "fake_lms:judging_oracle")
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    open_sample(at)
    go(at, "metric")
    at.radio(key=k(at, "metric_kind")).set_value("judge").run()
    assert not at.exception, at.exception
    return at


def test_judge_needs_criteria_and_keeps_them_in_the_spec(judge_page):
    at = judge_page
    assert "an LLM judge needs criteria" in " ".join(shown(w.value) for w in at.warning)
    assert at.button(key="metric_test_run").disabled
    at.text_area(key=k(at, "metric_criteria")).input("Names the right team.").run()
    at.radio(key=k(at, "metric_scale")).set_value("pass/fail").run()
    metric = at.session_state["draft"]["metric"]
    assert metric["kind"] == "judge" and metric["criteria"] == "Names the right team."
    assert metric["scale"] == "pass/fail"
    assert "Judged by" in texts(at) and not at.warning
    at.radio(key=k(at, "metric_kind")).set_value("exact").run()
    assert "criteria" not in at.session_state["draft"]["metric"]


def _tested(at, rows: int = 5):
    at.text_area(key=k(at, "metric_criteria")).input("Names the right team.").run()
    at.number_input(key="metric_test_rows").set_value(rows).run()
    at.button(key="metric_test_run").click().run()
    assert not at.exception, at.exception
    return at.dataframe[0].value


def test_test_on_rows_shows_each_judge_score_with_its_reason(judge_page):
    at = judge_page
    frame = _tested(at, rows=6)
    assert len(frame) == 6 and {"score", "why"} <= set(frame.columns)
    assert set(frame["score"]) <= {0.0, 1.0} and 0.0 in set(frame["score"])
    for score, why in zip(frame["score"], frame["why"]):
        assert why.startswith("5/5: " if score == 1.0 else "1/5: it should be '")
    calls = at.session_state["judge_scores"]
    assert len(calls) == 6
    at.radio(key=k(at, "metric_scale")).set_value("1-10").run()  # new settings: judged again
    assert len(at.session_state["judge_scores"]) == 12
    at.radio(key=k(at, "metric_scale")).set_value("1-5").run()  # remembered: no new judging
    assert len(at.session_state["judge_scores"]) == 12


def test_calibration_agreement_and_warning_below_80_percent(judge_page):
    at = judge_page
    frame = _tested(at, rows=5)
    judge_good = [score >= 0.5 for score in frame["score"]]
    assert "Calibrate the judge" in [h.value for h in at.subheader]
    batch = at.session_state["metric_test_batch"]
    radios = [at.radio(key=f"calib_{batch}_{i}") for i in range(5)]
    for radio, good in zip(radios[:4], judge_good):
        radio.set_value("Good" if good else "Bad")
    at.run()
    assert "4 of 5 rows marked" in texts(at)  # fewer than 5: no agreement yet
    at.radio(key=f"calib_{batch}_4").set_value("Good" if judge_good[4] else "Bad").run()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Judge agrees with you"] == "100%" and metrics["Rows agreed"] == "5 of 5"
    assert at.success and not at.warning
    for i, good in enumerate(judge_good[:2]):  # disagree on two rows: 60%
        at.radio(key=f"calib_{batch}_{i}").set_value("Bad" if good else "Good")
    at.run()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Judge agrees with you"] == "60%" and metrics["Rows agreed"] == "3 of 5"
    warning = " ".join(shown(w.value) for w in at.warning)
    assert "only 60%" in warning and "below 80%" in warning


def test_builtin_rules_show_why_each_row_scored(judge_page):
    at = judge_page
    at.radio(key=k(at, "metric_kind")).set_value("exact").run()
    at.button(key="metric_test_run").click().run()
    frame = at.dataframe[0].value
    wrong = [w for s, w in zip(frame["score"], frame["why"]) if s == 0]
    assert wrong and all(w.startswith("expected '") and "got '" in w for w in wrong)
    assert "Calibrate the judge" not in [h.value for h in at.subheader]


def test_the_budget_card_forecasts_the_judge_calls(judge_page):
    at = judge_page
    at.text_area(key=k(at, "metric_criteria")).input("Names the right team.").run()
    go(at, "optimize")
    assert "judge ~" in texts(at)
