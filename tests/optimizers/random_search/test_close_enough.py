"""Random search's `close_enough`: the search ends once the best candidate misses at most that
many validation rows, since no later one could beat it by a margin the rows can tell apart
(issue 40 item 3: a default run that found a near-perfect prompt early stops spending minutes
on candidates that cannot win). Runs from a spec set it to 2."""

import pytest
from search_helpers import exact, search

from engine.lm.scripted import input_fields
from engine.optimizers import BootstrapFewShotWithRandomSearch
from engine.optimizers.random_search import SPEC_CLOSE_ENOUGH, random_search_from_spec


def wrong_on(without_demos: set[int], with_demos: set[int]):
    """An LM wrong on `without_demos` when the prompt has no examples, else on `with_demos`."""

    def answer(messages):
        number = input_fields(messages[-1]["content"])["question"][1:]
        has_demos = sum(m["role"] == "assistant" for m in messages) > 0
        wrong = with_demos if has_demos else without_demos
        return {"answer": "x" if int(number) in wrong else number}

    return answer


def test_the_search_ends_once_the_best_misses_no_more_than_close_enough_rows():
    # the prompt as given misses 3 of 10; the first candidate with examples misses 1
    answer = wrong_on({20, 21, 22}, {20})
    compiled, tried, logs = search(answer, close_enough=2)
    assert [t.score for t in tried] == [0.7, 0.9]  # the prompt as given, labeled demos only
    assert tried[-1].candidate == compiled.result.best_candidate
    assert any("misses 1 of 10 validation rows" in line for line in logs), logs
    assert compiled.predictors()[0].demos  # the close-enough candidate is the one kept

    _, everything, _ = search(answer)  # without it: every planned candidate is tried
    assert len(everything) > len(tried)


def test_a_best_that_misses_more_rows_lets_the_search_go_on():
    answer = wrong_on({20, 21, 22}, {20, 21, 22})
    _, tried, logs = search(answer, close_enough=2)
    _, unbounded, _ = search(answer)
    assert len(tried) == len(unbounded)
    assert not any("search ends here" in line for line in logs)


def test_close_enough_zero_ends_only_at_the_maximum():
    _, tried, logs = search(wrong_on({20}, {20}), close_enough=0)
    assert len(tried) > 2
    assert not any("search ends here" in line for line in logs)


def test_a_negative_close_enough_is_refused():
    with pytest.raises(ValueError, match="close_enough"):
        BootstrapFewShotWithRandomSearch(metric=exact, close_enough=-1)


def test_runs_from_a_spec_stop_close_to_the_ceiling_unless_the_spec_says_not_to():
    assert random_search_from_spec(metric=exact).close_enough == SPEC_CLOSE_ENOUGH == 2
    assert random_search_from_spec(metric=exact, close_enough=None).close_enough is None
    assert BootstrapFewShotWithRandomSearch(metric=exact).close_enough is None  # DSPy's search
