"""The out-of-reach rule's arithmetic: the chance that the scorings the call budget still pays
for beat the best one, from the spread of the scorings on its rows."""

from __future__ import annotations

import math

import pytest

from engine.lm.budget import Budget
from engine.optimizers.spine._out_of_reach import (
    beat_chance,
    calls_left,
    chance_words,
    out_of_reach,
)
from engine.optimizers.spine._trial import Trial

ROWS = [f"r{i}" for i in range(16)]


def _trial(number: int, score: float, calls: int = 16, rows: list[str] = ROWS) -> Trial:
    right = round(score * len(rows))
    scores = {r: float(i < right) for i, r in enumerate(rows)}
    usage = {"calls": calls, "uncached_calls": calls}
    return Trial(number, f"c{number}", "val", right / len(rows), scores, usage, 0.0, len(rows), 0)


def _budget(limit: int | None, spent: int) -> Budget:
    budget = Budget(max_calls=limit)
    budget.count_calls("task", spent)
    return budget


def test_the_chance_follows_the_normal_curve_of_the_scorings():
    scores = [0.5, 0.5, 0.5625, 0.5, 0.875]
    mean, spread = sum(scores) / 5, math.sqrt(sum((s - 0.5875) ** 2 for s in scores) / 4)
    one = 1 - 0.5 * (1 + math.erf((0.875 + 0.5 / 16 - mean) / spread / math.sqrt(2)))
    assert beat_chance(0.875, 16, scores, 1) == pytest.approx(one)
    assert beat_chance(0.875, 16, scores, 4) == pytest.approx(1 - (1 - one) ** 4)
    assert beat_chance(0.875, 16, scores, 4) < beat_chance(0.875, 16, scores, 40)


def test_equal_scores_still_have_the_best_ones_own_spread():
    p = 0.5
    floor = math.sqrt(p * (1 - p) / 16)
    expected = 1 - 0.5 * (1 + math.erf(0.5 / 16 / floor / math.sqrt(2)))
    assert beat_chance(p, 16, [p, p, p], 1) == pytest.approx(expected)
    assert 0 < beat_chance(1.0, 16, [1.0, 1.0, 1.0], 1) < 0.5  # a floor of a row: 1/n


def test_few_calls_left_make_the_best_out_of_reach():
    trials = [_trial(1, 0.5), _trial(2, 0.5), _trial(3, 0.5625), _trial(4, 0.5), _trial(5, 0.875)]
    reach = out_of_reach(trials[-1], trials, calls_left(_budget(1000, 970)))
    assert reach is not None and reach.left == 1 and reach.seen == 5
    assert reach.chance < 0.05
    words = reach.words()
    assert words.startswith("stopped early: about 1 more scoring had a 2.5% chance of beating")
    assert "the best validation score (88%), given the spread of the 5 scorings so far" in words


def test_many_calls_left_keep_it_in_reach():
    trials = [_trial(1, 0.5), _trial(2, 0.5), _trial(3, 0.5625), _trial(4, 0.5), _trial(5, 0.875)]
    reach = out_of_reach(trials[-1], trials, calls_left(_budget(1000, 200)))
    assert reach is not None and reach.left == 50 and reach.chance > 0.5


def test_fewer_than_three_scorings_on_the_best_ones_rows_judge_nothing():
    other = [f"o{i}" for i in range(16)]
    trials = [_trial(1, 0.5), _trial(2, 0.875), _trial(3, 0.5, rows=other)]
    assert out_of_reach(trials[1], trials, 20) is None


def test_no_call_limit_or_nothing_left_judge_nothing():
    trials = [_trial(1, 0.5), _trial(2, 0.5), _trial(3, 0.875)]
    assert calls_left(None) is None and calls_left(_budget(None, 5)) is None
    assert out_of_reach(trials[-1], trials, None) is None
    assert out_of_reach(trials[-1], trials, 10) is None  # under one scoring: the budget's end
    assert out_of_reach(trials[-1], trials, 0) is None
    cached = [_trial(n, s, calls=0) for n, s in ((1, 0.5), (2, 0.5), (3, 0.875))]
    assert out_of_reach(cached[-1], cached, 500) is None  # scorings the budget never paid for


def test_chances_read_rounded_down_so_none_reaches_the_limit_it_fell_under():
    assert chance_words(0.25) == "a 25% chance" and chance_words(0.1997) == "a 19% chance"
    assert chance_words(0.0499) == "a 4.9% chance" and chance_words(0.031) == "a 3.1% chance"
    assert chance_words(0.0009) == "less than a 0.1% chance"
