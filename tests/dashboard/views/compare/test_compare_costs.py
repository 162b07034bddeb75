"""Compare's cost against score: the chart, the cheapest candidate near the best, and the two
buttons that take it to B and put it in use (then Label a spreadsheet labels with it)."""

from __future__ import annotations

import json

import pandas as pd
from apphelpers import finished_run, go, run_id_of, texts

from dashboard import home
from dashboard.run_data import costs as ca
from dashboard.widgets.compare.cost_chart import spend_words
from engine.runs import candidates, get_run, trials, version_in_use


def run_best(run_id: str) -> str:
    return get_run(run_id, db_path=home.db_path())["best_candidate"]


def test_the_cheapest_near_the_best_goes_to_b_and_into_use(app, monkeypatch):
    at = go(finished_run(app, monkeypatch, "fake_lms:leaning"), "compare")
    run_id = run_id_of(at)
    assert "Cost against score" in [h.value for h in at.subheader]
    db = home.db_path()
    parents = {c["hash"]: c["parents"] for c in candidates(run_id, db_path=db)}
    costs = ca.candidate_costs(trials(run_id, db_path=db), parents)
    assert len(costs) >= 2 and costs["tokens"].notna().all()
    at = at.number_input(key=f"cmp_near_{run_id}").set_value(50).run()
    pick = ca.cheapest_within(costs, "tokens", 50)
    assert "The cheapest within 50 points of the best" in texts(at)
    chosen = costs[costs["candidate"] == pick].iloc[0]
    assert f"for {spend_words(chosen)}" in texts(at)  # what the pick spends, in words
    [chart] = at.get("plotly_chart")
    hover = json.loads(chart.proto.spec)["data"][0]["customdata"]
    assert len(hover) == len(costs) and all("tokens a 1,000 rows" in h for h in hover)
    at = at.button(key=f"cmp_near_b_{run_id}").click().run()
    assert not at.exception, at.exception
    assert at.session_state[f"cmp_b_{run_id}"] == pick
    at = at.button(key=f"cmp_near_use_{run_id}").click().run()
    assert not at.exception, at.exception
    used = version_in_use(get_run(run_id, db_path=db)["name"], db)
    assert (used.run_id, used.candidate) == (run_id, pick)
    if pick != run_best(run_id):
        assert used.origin == "cheapest within 50 points of the best"
    assert "is in use: Label a spreadsheet and Export now use it" in texts(at)
    at = go(at, "label")
    assert at.selectbox(key="label_version").value == used.number


def test_what_a_candidate_spends_says_all_that_is_known():
    row = pd.Series({"tokens": 1240.0, "dollars": 0.0213, "seconds": 830.0})
    assert spend_words(row) == "1,240 tokens, $0.02 a 1,000 rows; 0.8 s a row"
    unpriced = pd.Series({"tokens": 1240.0, "dollars": None, "seconds": None})
    assert spend_words(unpriced) == "1,240 tokens a 1,000 rows"
    timed_only = pd.Series({"tokens": None, "dollars": None, "seconds": 2500.0})
    assert spend_words(timed_only) == "2.5 s a row"
