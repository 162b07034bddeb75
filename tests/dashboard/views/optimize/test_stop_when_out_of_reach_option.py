"""The Optimize page's out-of-reach stop: off by default, its chance (in percent on the page)
reaches the spec as a share, and the cost card says what it does without a saving figure."""

from __future__ import annotations

from apphelpers import go, k, open_sample, texts


def test_the_option_is_off_by_default_and_its_chance_reaches_the_spec(app):
    at = go(open_sample(app), "optimize")
    box = at.checkbox(key=k(at, "reach_on"))
    assert box.value is False
    assert at.session_state["draft"]["optimizer"].get("stop_when_out_of_reach") is None
    at = box.check().run()
    assert at.session_state["draft"]["optimizer"]["stop_when_out_of_reach"] == 0.05
    at = at.number_input(key=k(at, "reach_pct")).set_value(12.0).run()
    assert at.session_state["draft"]["optimizer"]["stop_when_out_of_reach"] == 0.12
    assert not at.exception, at.exception
    at = at.checkbox(key=k(at, "reach_on")).uncheck().run()
    assert at.session_state["draft"]["optimizer"]["stop_when_out_of_reach"] is None


def test_the_cost_card_says_what_the_stop_does(app):
    at = go(open_sample(app), "optimize")
    assert "Stop when a better prompt is unlikely" not in texts(at)
    at = at.checkbox(key=k(at, "reach_on")).check().run()
    page = texts(at)
    assert "Stop when a better prompt is unlikely: stopping once the rest of the" in page, page
    assert "-call budget has less than a 5% chance of beating the best score so far" in page
    assert "it never fired" in page
