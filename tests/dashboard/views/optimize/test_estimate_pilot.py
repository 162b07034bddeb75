"""The Optimize page's pilot: a button under the budget card (GEPA and SIMBA) that measures the
task model on a few rows, then shows the revised estimate and what was measured; a failing
pilot shows an error and changes nothing (worker inline, scripted LM)."""

from __future__ import annotations

import pytest
from apphelpers import go, k, open_sample, set_sizes, shown, texts

from engine.optimizers.spine._pilot import PilotError


def optimize_with(app, goal):
    at = set_sizes(open_sample(app), 6, 6, 6)
    go(at, "optimize")
    at.radio(key=k(at, "goal")).set_value(goal).run()
    return at


@pytest.mark.parametrize("goal", ["SIMBA", "GEPA"])
def test_the_pilot_revises_the_estimate_and_says_what_it_measured(app, goal):
    at = optimize_with(app, goal)
    assert "measured by a pilot" not in texts(at)
    button = at.button(key="run_pilot")
    assert button.label == "Measure with a pilot (runs 4 rows)"
    button.click().run()
    assert not at.exception, at.exception
    page = texts(at)
    rows = 6 if goal == "SIMBA" else 4  # SIMBA: the student on 2 x 4 rows of its batch of 6
    assert f"Estimate measured by a pilot: {rows} training row(s)" in page
    assert "1.00 task calls per program run" in page
    assert f"measured by a pilot on {rows} training row(s)" in page  # the card's notes
    assert at.button(key="run_pilot").label == "Measure again with a pilot (runs 4 rows)"
    # a budget change keeps the figures; a setting the figures depend on drops them
    at.number_input(key=k(at, "bcalls")).set_value(900).run()
    assert "Estimate measured by a pilot" in texts(at)
    at.number_input(key=k(at, "maxtok")).set_value(64).run()
    assert "Estimate measured by a pilot" not in texts(at)


def test_a_failing_pilot_shows_an_error_and_changes_nothing(app, monkeypatch):
    at = optimize_with(app, "SIMBA")
    before = {m.label: m.value for m in at.metric}

    def fail(*args, **kwargs):
        raise PilotError("the task LM failed on every pilot row: LMError: no model")

    monkeypatch.setattr("engine.runs.estimate._plan.run_pilot", fail)
    at.button(key="run_pilot").click().run()
    assert not at.exception, at.exception
    assert "The pilot failed" in " ".join(shown(e.value) for e in at.error)
    assert "Estimate measured by a pilot" not in texts(at)
    assert {m.label: m.value for m in at.metric} == before


def test_no_pilot_for_optimizers_that_do_not_read_it(app):
    at = optimize_with(app, "BootstrapFewShot")
    assert not [b for b in at.button if b.key == "run_pilot"]
