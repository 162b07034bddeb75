"""The Optimize page's stop-on-a-plateau option: off by default, its window reaches the spec,
and a run that stopped early says so on the Run page."""

from __future__ import annotations

from apphelpers import go, k, open_sample, set_sizes, texts


def test_the_option_is_off_by_default_and_its_window_reaches_the_spec(app):
    at = go(open_sample(app), "optimize")
    box = at.checkbox(key=k(at, "flat_on"))
    assert box.value is False
    assert at.session_state["draft"]["optimizer"]["stop_when_flat"] is None
    at = box.check().run()
    assert at.session_state["draft"]["optimizer"]["stop_when_flat"] == 8
    at = at.number_input(key=k(at, "flat_n")).set_value(3).run()
    assert at.session_state["draft"]["optimizer"]["stop_when_flat"] == 3
    at = at.checkbox(key=k(at, "flat_on")).uncheck().run()
    assert at.session_state["draft"]["optimizer"]["stop_when_flat"] is None


def test_a_run_that_stopped_early_says_why_on_the_run_page(app, monkeypatch):
    monkeypatch.setenv("TUNESMITH_TEST_LM", "fake_lms:leaning")
    at = set_sizes(open_sample(app), 8, 8, 4)
    go(at, "optimize")
    at.radio(key=f"goal_{at.session_state['rev']}").set_value("BootstrapFewShotWithRandomSearch")
    at = at.run()
    at = at.checkbox(key=k(at, "flat_on")).check().run()
    at = at.number_input(key=k(at, "flat_n")).set_value(1).run()
    at.button(key="start_run").click().run()
    assert not at.exception, at.exception
    page = texts(at)
    assert "stopped early: the best validation score" in page, page
    assert "did not improve in 1 scoring in a row" in page


def test_the_estimate_says_what_the_wait_can_save_or_that_it_cannot_end_the_search(app):
    at = go(open_sample(app), "optimize")
    at = at.checkbox(key=k(at, "flat_on")).check().run()
    page = texts(at)
    assert "Stop when the best score stops improving: stopping once 8 scorings" in page, page
    assert "saves at most" in page and "saved 26% of the calls and lost 5 of 90" in page
    at = at.number_input(key=k(at, "flat_n")).set_value(1000).run()
    warnings = [w.value for w in at.warning]
    assert any("cannot end it early" in w for w in warnings), warnings
    assert "saves at most" not in texts(at)


def test_a_wait_the_call_limit_can_never_reach_is_refused_with_its_reason(app):
    at = go(open_sample(app), "optimize")
    at = at.checkbox(key=k(at, "flat_on")).check().run()
    at = at.number_input(key=k(at, "flat_n")).set_value(1000).run()
    at = at.number_input(key=k(at, "bcalls")).set_value(600).run()
    assert not at.exception, at.exception
    said = [w.value for w in at.warning if w.value.startswith("**Fix these settings**")]
    assert said and "can never end a search limited to 600 LM calls" in said[0], said
    assert not any(b.key == "start_run" for b in at.button)  # nothing to start until it is fixed
