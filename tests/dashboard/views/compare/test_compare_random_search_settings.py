"""Compare's "Which setting mattered" for random search: its candidates differ in how many
examples the model got right and how many were copied from the rows; the chart draws from the
run's own trials, and a page whose scorings all came out the same says the setting made no
difference."""

from __future__ import annotations

from apphelpers import go, k, open_sample, run_id_of, set_sizes, texts

from dashboard import home
from dashboard.run_data import importance as im
from engine.runs import candidates, trials

RANDOM_SEARCH = "BootstrapFewShotWithRandomSearch"


def _random_search_run(app, monkeypatch, lm: str, candidates: int = 8):
    monkeypatch.setenv("TUNESMITH_TEST_LM", lm)
    at = set_sizes(open_sample(app), 12, 8, 4)
    go(at, "optimize")
    at = at.radio(key=f"goal_{at.session_state['rev']}").set_value(RANDOM_SEARCH).run()
    at = at.number_input(key=k(at, "opt_num_candidate_programs")).set_value(candidates).run()
    at.button(key="start_run").click().run()
    assert not at.exception, at.exception
    at = go(at, "compare")
    assert not at.exception, at.exception
    return at


def test_random_search_settings_are_charted_from_the_runs_trials(app, monkeypatch):
    """The page says what the run's own scorings say (racing may stop a candidate a row early,
    which moves its score: the chart follows the stored trials, whatever they hold)."""
    at = _random_search_run(app, monkeypatch, "fake_lms:off_list")  # right on odd rows only
    assert "Which setting mattered" in [h.value for h in at.subheader]
    run_id = run_id_of(at)
    frame = im.settings_table(im.candidate_settings([], candidates(run_id, db_path=home.db_path())),
                              trials(run_id, db_path=home.db_path()))  # fmt: skip
    varied = set(frame.columns) - {"score"}
    assert varied and varied <= {"classify: examples the model got right",
                                 "classify: examples copied from the rows"}  # fmt: skip
    shares = im.importances(frame)
    if not shares:  # every scoring the same this time
        assert "scorings came out the same" in texts(at)
        return
    top = max(shares, key=shares.get)
    said = f"Over {len(frame)} scorings, **{top}** explains the most ({shares[top]:.0%})."
    assert said in texts(at)
    setting = at.selectbox(key=f"cmp_setting_{run_id}")
    assert setting.options[0] == top and set(setting.options) == set(shares)
    at = setting.set_value(setting.options[-1]).run()
    assert not at.exception, at.exception
    by_value = at.get("plotly_chart")[-1].proto.spec
    assert all(v in by_value for v in frame[setting.options[-1]].unique())  # each count


def test_settings_that_made_no_difference_are_named(app, monkeypatch):
    """A model that never gives a usable answer: every scoring of every candidate is 0, however
    many examples its prompt shows (a scoring stopped early by racing too)."""
    at = _random_search_run(app, monkeypatch, "fake_lms:rambler", candidates=12)
    assert "Which setting mattered" in [h.value for h in at.subheader]
    scored = trials(run_id_of(at), db_path=home.db_path())
    scorings = [t for t in scored if t["subset"] in im.SCORED]
    assert len(scorings) >= im.MIN_TRIALS and {t["score"] for t in scorings} == {0.0}
    page = texts(at)
    assert ("The search varied **classify: examples copied from the rows**, and all "
            f"{len(scorings)} scorings came out the same (0%): on these rows, it made no "
            "difference.") in page, page  # fmt: skip
    assert "explains the most" not in page  # nothing to chart
