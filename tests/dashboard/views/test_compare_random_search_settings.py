"""Compare's "Which setting mattered" for random search: its candidates differ in how many
examples the model got right and how many were copied from the rows (and, after calibration,
in their choices); the chart draws from the run's own trials, and a page whose scorings all
came out the same says the settings made no difference."""

from __future__ import annotations

from apphelpers import go, k, open_sample, run_id_of, set_sizes, texts

from dashboard import home
from engine.runs import trials

RANDOM_SEARCH = "BootstrapFewShotWithRandomSearch"


def _random_search_run(app, monkeypatch, lm: str):
    monkeypatch.setenv("TUNESMITH_TEST_LM", lm)
    at = set_sizes(open_sample(app), 12, 8, 4)
    go(at, "optimize")
    at = at.radio(key=f"goal_{at.session_state['rev']}").set_value(RANDOM_SEARCH).run()
    at = at.number_input(key=k(at, "opt_num_candidate_programs")).set_value(8).run()
    at.button(key="start_run").click().run()
    assert not at.exception, at.exception
    at = go(at, "compare")
    assert not at.exception, at.exception
    return at


def test_random_search_settings_are_charted_from_the_runs_trials(app, monkeypatch):
    at = _random_search_run(app, monkeypatch, "fake_lms:leaning")
    assert "Which setting mattered" in [h.value for h in at.subheader]
    setting = at.selectbox(key=f"cmp_setting_{run_id_of(at)}")
    assert set(setting.options) == {"classify: examples the model got right",
                                    "classify: examples copied from the rows",
                                    "classify: choices"}  # fmt: skip
    scorings = [t for t in trials(run_id_of(at), db_path=home.db_path()) if t["subset"] == "val"]
    assert f"Over {len(scorings)} scorings" in texts(at) and "explains the most" in texts(at)
    at = setting.set_value("classify: choices").run()
    assert not at.exception, at.exception
    by_value = at.get("plotly_chart")[-1].proto.spec
    assert "calibrated" in by_value and "not calibrated" in by_value


def test_settings_that_made_no_difference_are_named(app, monkeypatch):
    at = _random_search_run(app, monkeypatch, "fake_lms:rambler")  # never a usable answer
    assert "Which setting mattered" in [h.value for h in at.subheader]
    page = texts(at)
    assert "The search varied **classify: examples copied from the rows**, and all" in page, page
    assert "on these rows, it made no difference" in page
    assert "explains the most" not in page  # nothing to chart

