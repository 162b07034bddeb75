"""The out-of-reach stop as the estimate says it: what it does with a call budget, no saving
figure, and a warning that it cannot fire without a call limit."""

from engine.runs.estimate import budget_warnings, out_of_reach


def test_with_a_call_budget_it_says_what_it_does_and_claims_no_saving():
    said = out_of_reach(0.05, 2000)
    assert not said["never"] and said["chance"] == 0.05
    assert said["words"].startswith(
        "stopping once the rest of the 2,000-call budget has less than a 5% chance of beating"
    )
    assert "cannot be told before the run" in said["words"] and "it never fired" in said["words"]
    assert "%" not in said["words"].replace("5%", "")  # no saving figure
    assert "a 2.5% chance" in out_of_reach(0.025, 300)["words"]


def test_without_a_call_limit_it_never_fires_and_the_budget_warns():
    said = out_of_reach(0.05, None)
    assert said["never"] and "without one it never stops the search" in said["words"]
    forecast = {"calls": 10, "seconds": 5.0}
    plan = {"forecast": forecast, "budget": {}, "out_of_reach": said}
    assert budget_warnings(plan) == [said["words"]]
    fine = {"forecast": forecast, "budget": {}, "out_of_reach": out_of_reach(0.05, 2000)}
    assert budget_warnings(fine) == []


def test_off_says_nothing():
    assert out_of_reach(None, 2000) is None and out_of_reach(None, None) is None
