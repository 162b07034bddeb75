"""SIMBA on the dashboard: a choice on the Optimize page with its settings, the proposer model
and an estimate; its steps as a table on the Run page (worker inline, scripted LM)."""

from __future__ import annotations

from apphelpers import go, k, open_sample, set_sizes, texts

from dashboard.widgets.run.simba_steps import latest_steps, step_rows


def test_simba_is_a_goal_with_settings_an_estimate_and_a_step_table(app):
    at = set_sizes(open_sample(app), 6, 6, 6)
    go(at, "optimize")
    at.radio(key=k(at, "goal")).set_value("SIMBA").run()
    assert "Fix what the prompt is unsure about: SIMBA" in at.radio(key=k(at, "goal")).options
    at.number_input(key=k(at, "opt_bsize")).set_value(4).run()
    at.number_input(key=k(at, "opt_num_candidates")).set_value(2).run()
    at.number_input(key=k(at, "opt_max_steps")).set_value(2).run()
    params = at.session_state["draft"]["optimizer"]["params"]
    assert params == {"bsize": 4, "num_candidates": 2, "max_steps": 2, "max_demos": 4}
    assert at.session_state["draft"]["optimizer"]["name"] == "SIMBA"
    assert any(r.label.startswith("Proposer model") for r in at.radio)  # it writes the rules
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["LM calls"].startswith("~")
    at.button(key="start_run").click().run()
    assert not at.exception, at.exception
    page = texts(at)
    assert "Finished" in page and "SIMBA's steps" in page and "2 of 2 steps" in page
    table = next(d.value for d in at.dataframe if "rows disagreed on" in d.value.columns)
    assert sorted(set(table["step"])) == [1, 2]
    assert set(table["added"]) <= {"demo", "rule", "—"}


def test_step_rows_show_additions_and_steps_that_added_nothing():
    events = [
        {"type": "simba_step", "data": {
            "step": 1, "steps": 2, "spread": [{"example_id": "a", "min": 0.0, "max": 1.0}],
            "variants": [{"score": 0.5}, {"score": 1.0}],
            "added": [{"strategy": "rule", "predictor": "classify", "text": "If x, then y.",
                       "from_example": "a", "score": 0.75}],
            "rules": {"proposed": 1, "kept": 1, "dropped": {}},
        }},
        {"type": "simba_step", "data": {
            "step": 2, "steps": 2, "spread": [{"example_id": "b", "min": 1.0, "max": 1.0}],
            "variants": [{"score": 1.0}], "added": [],
            "rules": {"proposed": 1, "kept": 0, "dropped": {"too short": 1}},
        }},
    ]  # fmt: skip
    steps = latest_steps([*events, events[0]])  # a step announced twice counts once
    rows = step_rows(steps, {"a": "my parcel is late"})
    assert [r["step"] for r in rows] == [1, 2]
    assert rows[0]["added"] == "rule" and rows[0]["what"] == "If x, then y."
    assert rows[0]["from row"] == "my parcel is late" and rows[0]["rows disagreed on"] == "1 of 1"
    assert rows[1]["added"] == "—" and "1 rule(s) dropped" in rows[1]["what"]
