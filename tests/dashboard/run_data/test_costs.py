"""Cost against score: a candidate's cost per 1,000 rows with the cache set aside, the Pareto
front, and the cheapest candidate near the best."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard.run_data import costs as ca


def _trial(cand: str, score: float, n: int, calls: int, fresh: int, tokens: int,
           cost: float = 0.0, wall: float = 10.0, subset: str = "val") -> dict:
    usage = {"calls": calls, "uncached_calls": fresh, "tokens": tokens, "cost": cost}
    return {"candidate": cand, "score": score, "n": n, "subset": subset, "wall_time": wall,
            "usage": usage}  # fmt: skip


def test_a_cached_trial_does_not_make_a_candidate_look_cheap() -> None:
    costs = ca.candidate_costs([
        _trial("a", 0.5, 10, 10, 10, 2000),          # 200 tokens a call, a call a row
        _trial("a", 0.6, 10, 10, 0, 0, wall=0.1),    # the same rows again, all from the cache
        _trial("b", 0.8, 10, 20, 20, 8000),          # two calls a row, 400 tokens each
        _trial("b", 0.9, 5, 10, 10, 4000, subset="test"),  # not validation: left out
    ])  # fmt: skip
    a, b = (costs.set_index("candidate").loc[h] for h in ("a", "b"))
    assert a["score"] == 0.5 and a["tokens"] == pytest.approx(200_000)
    assert a["seconds"] == pytest.approx(1000)  # only the trial that called the model each row
    assert b["tokens"] == pytest.approx(800_000) and a["rows"] == 20
    assert pd.isna(a["dollars"]) and ca.cost_column(costs) == "tokens"


def test_dollars_count_when_every_candidate_is_priced() -> None:
    costs = ca.candidate_costs([_trial("a", 0.5, 10, 10, 10, 2000, cost=0.02),
                                _trial("b", 0.7, 10, 10, 10, 3000, cost=0.03)])  # fmt: skip
    assert ca.cost_column(costs) == "dollars"
    assert costs.set_index("candidate").loc["a", "dollars"] == pytest.approx(2.0)


COSTS = pd.DataFrame({
    "candidate": ["cheap", "mid", "best", "waste", "tie"],
    "score": [0.60, 0.78, 0.80, 0.70, 0.78],
    "tokens": [100.0, 300.0, 900.0, 950.0, 300.0],
})  # fmt: skip


def test_the_front_holds_the_candidates_no_other_beats_on_both() -> None:
    front = ca.pareto_front(COSTS, "tokens")
    assert list(COSTS["candidate"][front]) == ["cheap", "mid", "best", "tie"]


def test_the_cheapest_near_the_best_depends_on_the_points_given_up() -> None:
    assert ca.cheapest_within(COSTS, "tokens", 0) == "best"
    assert ca.cheapest_within(COSTS, "tokens", 2) == "mid"  # 78% is within 2 points of 80%
    assert ca.cheapest_within(COSTS, "tokens", 20) == "cheap"
    assert ca.cheapest_within(COSTS.iloc[:0], "tokens", 2) is None


def test_a_candidate_answered_only_from_the_cache_is_priced_at_its_parent() -> None:
    trials = [_trial("a", 0.5, 10, 10, 10, 2000), _trial("c", 0.9, 10, 10, 0, 0),
              _trial("orphan", 0.4, 10, 10, 0, 0)]  # fmt: skip
    costs = ca.candidate_costs(trials, {"c": ["a"], "a": [], "orphan": ["orphan"]})
    by = costs.set_index("candidate")
    assert by.loc["c", "tokens"] == by.loc["a", "tokens"] == pytest.approx(200_000)
    assert pd.isna(by.loc["orphan", "tokens"])  # no ancestor called the model (a loop ends)


def test_a_trial_partly_from_the_cache_does_not_price_a_candidate() -> None:
    # c: one fresh call, which reused the prompt it followed and reported 5 tokens
    trials = [_trial("a", 0.5, 10, 10, 10, 2000), _trial("c", 0.7, 10, 10, 1, 5)]
    by = ca.candidate_costs(trials, {"c": ["a"], "a": []}).set_index("candidate")
    assert by.loc["c", "tokens"] == by.loc["a", "tokens"] == pytest.approx(200_000)


def test_a_rescoring_that_called_nothing_costs_what_its_ancestor_costs() -> None:
    trials = [_trial("a", 0.6, 20, 20, 20, 3970), _trial("cal", 0.7, 20, 0, 0, 0)]
    by = ca.candidate_costs(trials, {"cal": ["a"], "a": []}).set_index("candidate")
    assert by.loc["cal", "tokens"] == by.loc["a", "tokens"] == pytest.approx(198_500)
    assert by.loc["cal", "seconds"] == by.loc["a", "seconds"] == pytest.approx(500)  # 10 s, 20 rows
