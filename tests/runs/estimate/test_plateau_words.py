"""What stopping on a plateau can save, as the estimate says it: at most the scorings after the
first and the wait; a wait as long as the search is said to be unable to end it early."""

from engine.runs.estimate import budget_warnings, plateau


def test_the_saving_is_the_scorings_after_the_first_and_the_wait():
    said = plateau(4, 15)
    assert said["saved_at_most"] == round(10 / 15, 3) and not said["never"]
    assert "saves at most 67% of the search's ~15 scorings" in said["words"]
    assert "saved 26% of the calls and lost 5 of 90" in said["words"]  # what it did, measured


def test_a_wait_as_long_as_the_search_cannot_end_it_early():
    for wait, scorings in ((14, 15), (15, 15), (100, 3)):
        said = plateau(wait, scorings)
        assert said["never"] and said["saved_at_most"] == 0.0
        assert "cannot end it early" in said["words"]
    assert "wait fewer than 14" in plateau(14, 15)["words"]


def test_off_or_nothing_scored_says_nothing():
    assert plateau(None, 15) is None
    assert plateau(4, 0) is None


def test_the_budget_warnings_carry_the_never_case_only():
    forecast = {"calls": 10, "seconds": 5.0}
    never = {"forecast": forecast, "budget": {}, "plateau": plateau(20, 5)}
    assert budget_warnings(never) == [plateau(20, 5)["words"]]
    some = {"forecast": forecast, "budget": {}, "plateau": plateau(2, 20)}
    assert budget_warnings(some) == []
