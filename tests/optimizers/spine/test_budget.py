import time

import pytest

import engine as dspy
from engine.core._errors import BudgetExhausted
from engine.evaluate import ExactMatch
from engine.lm import CallRecord, ScriptedLM, UsageLedger
from engine.optimizers import Budget, Estimate


def test_max_calls_is_never_exceeded_even_with_threads():
    lm = ScriptedLM(by_input=lambda m: {"answer": "1"})
    budget, ledger = Budget(max_calls=7), UsageLedger()
    budget.attach(ledger)
    devset = [dspy.Example(question=f"q{i}", answer="1").with_inputs("question") for i in range(20)]
    with dspy.context(lm=lm, budget=budget, usage_trackers=(ledger,)):
        result = dspy.Evaluate(devset=devset, metric=ExactMatch(), num_threads=4)(
            dspy.Predict("question -> answer")
        )
    assert result.stopped == "budget"
    assert ledger.totals().uncached_calls == 7 == lm.calls_made
    assert budget.spent()["calls"] == 7


def test_before_call_raises_naming_the_limit():
    budget = Budget(max_calls=1)
    budget.before_call("task", "m")
    with pytest.raises(BudgetExhausted, match="max_calls=1") as info:
        budget.before_call("task", "m")
    assert info.value.limit == "max_calls"
    assert budget.exceeded("task").startswith("max_calls=1")


def test_per_role_limits_only_stop_that_role():
    budget = Budget(per_role={"judge": {"max_calls": 1}})
    budget.before_call("judge", "m")
    with pytest.raises(BudgetExhausted, match="judge.max_calls"):
        budget.before_call("judge", "m")
    for _ in range(5):
        budget.before_call("task", "m")
    assert budget.spent()["by_role"]["task"]["calls"] == 5


def test_tokens_and_cost_come_from_the_ledger_and_cache_hits_are_free():
    ledger = UsageLedger()
    budget = Budget(max_tokens=100, max_cost=1.0)
    budget.attach(ledger)
    ledger.record(CallRecord("m", prompt_tokens=500, completion_tokens=0, cache_hit=True))
    budget.before_call("task", "m")
    ledger.record(CallRecord("m", prompt_tokens=60, completion_tokens=50, cost=0.2))
    with pytest.raises(BudgetExhausted, match="max_tokens=100"):
        budget.before_call("task", "m")
    cost_budget = Budget(max_cost=0.3)
    cost_budget.attach(ledger)  # counts the ledger's existing uncached record
    assert cost_budget.spent()["calls"] == 1 and cost_budget.spent()["cost"] == pytest.approx(0.2)
    ledger.record(CallRecord("m", cost=0.15))
    with pytest.raises(BudgetExhausted, match="max_cost"):
        cost_budget.before_call("task", "m")


def test_attaching_twice_counts_once():
    ledger = UsageLedger()
    ledger.record(CallRecord("m", prompt_tokens=10))
    budget = Budget()
    budget.attach(ledger)
    budget.attach(ledger)
    assert budget.spent()["calls"] == 1 and budget.spent()["tokens"] == 10


def test_time_limit():
    budget = Budget(max_seconds=0.05)
    budget.before_call("task", "m")
    time.sleep(0.08)
    with pytest.raises(BudgetExhausted, match="max_seconds"):
        budget.before_call("task", "m")


def test_round_trip_and_validation():
    budget = Budget(max_calls=10, max_cost=2.5, per_role={"task": {"max_tokens": 1000}})
    assert Budget.from_dict(budget.to_dict()).to_dict() == budget.to_dict()
    assert "max_calls=10" in repr(budget)
    with pytest.raises(ValueError, match="unknown budget limit"):
        Budget(per_role={"task": {"max_call": 3}})


def test_estimate_to_dict():
    est = Estimate({"task": 40, "judge": 2}, tokens=1000, trials=3, notes="n")
    assert est.total_calls == 42
    assert est.to_dict() == {"calls": {"task": 40, "judge": 2}, "total_calls": 42,
                             "tokens": 1000, "trials": 3, "notes": "n"}  # fmt: skip
