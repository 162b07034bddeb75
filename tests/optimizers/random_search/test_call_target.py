"""Random search with a call target (`spend_share`): racing's savings pay for extra candidates,
and no candidate starts once the target is spent (issue 40 item 3: a forecast that holds on
every seed)."""

import pytest
import search_helpers
from search_helpers import exact, qa

import engine as dspy
from engine.lm import ScriptedLM
from engine.lm.scripted import input_fields
from engine.optimizers import BootstrapFewShotWithRandomSearch, RunContext
from engine.optimizers.bootstrap import demos_read_again, typical_demos_read_again
from engine.optimizers.labeled import labeled_rng


def wrong_on(*numbers: int):
    """An LM right on every question but `numbers`, whatever the prompt: every candidate ties,
    so racing stops each one at its second miss, early or late by where the misses are."""

    def answer(messages):
        number = input_fields(messages[-1]["content"])["question"][1:]
        return {"answer": "x" if int(number) in numbers else number}

    return answer


def search(answer, **params):
    """(the result, the candidates' validation trials, the log lines)."""
    compiled, tried, logs = search_helpers.search(answer, **params)
    return compiled.result, tried, logs


def test_without_a_target_the_planned_candidates_are_tried():
    result, val, _ = search(wrong_on(20, 21))
    assert len(val) == 7  # seeds -3..3
    assert result.estimate.at_most is None


def test_calls_saved_by_racing_pay_for_extra_candidates_up_to_twice_as_many():
    # the misses are the first two rows: racing stops every candidate after two rows
    result, val, logs = search(wrong_on(20, 21), spend_share=0.75)
    assert len(val) == 3 + 2 * 4  # the planned 7, then the 4 extra seeds
    spent = result.usage["by_role"]["task"]["calls"]
    assert spent < result.estimate.calls["task"]  # the cap came before the target
    assert not any("planned calls" in line for line in logs)
    assert [t.subset for t in val[1:]] == ["minibatch"] * 10  # each stopped after two rows


def test_a_search_racing_cannot_shorten_stops_at_its_target():
    # every candidate scored in full (racing off): fewer candidates fit in the target
    result, val, logs = search(wrong_on(20, 21), spend_share=0.75, race=False)
    target, at_most = result.estimate.calls["task"], result.estimate.at_most
    spent = result.usage["by_role"]["task"]["calls"]
    assert len(val) < 7
    assert spent <= at_most
    assert abs(spent - target) <= (at_most - target) / 2  # within half a candidate either side
    assert any("seldom stop early" in line for line in logs), logs


def test_the_estimate_is_the_target_with_a_bound():
    full = BootstrapFewShotWithRandomSearch(metric=exact, num_candidate_programs=4)
    targeted = BootstrapFewShotWithRandomSearch(
        metric=exact, num_candidate_programs=4, spend_share=0.5
    )
    with dspy.context(lm=ScriptedLM(by_input=wrong_on())):
        bound = full.estimate(qa(12), qa(10, start=20))
        estimate = targeted.estimate(qa(12), qa(10, start=20))
    assert estimate.total_calls == round(0.5 * bound.total_calls)
    assert estimate.at_most is not None and estimate.at_most > estimate.total_calls
    assert estimate.to_dict()["at_most"] == estimate.at_most
    assert "spends about 50%" in estimate.notes
    assert bound.to_dict().get("at_most") is None


@pytest.mark.parametrize("share", [0, -0.1, 1.5])
def test_a_share_outside_0_to_1_is_refused(share):
    with pytest.raises(ValueError, match="spend_share"):
        BootstrapFewShotWithRandomSearch(metric=exact, spend_share=share)


class PrefixKeepingLM(ScriptedLM):
    """A scripted LM that says it keeps prompt starts, as the embedded model does."""

    reuses_prompt_start = True


def embedded_like(answer) -> ScriptedLM:
    return PrefixKeepingLM(by_input=answer)


def search_on(lm, **params):
    optimizer = BootstrapFewShotWithRandomSearch(
        metric=exact, num_candidate_programs=4, max_bootstrapped_demos=2, num_threads=1,
        spend_share=0.75, **params,
    )  # fmt: skip
    with dspy.context(lm=lm):
        compiled = optimizer.compile(
            dspy.Predict("question -> answer"), trainset=qa(12), valset=qa(10, start=20),
            run=RunContext(seed=0),
        )  # fmt: skip
    result = compiled.result
    val = [t for t in result.trials if t.subset in ("val", "minibatch")]
    logs = [e.data.get("message", "") for e in result.events if e.type == "log"]
    return result, val, logs


def test_on_a_model_that_reuses_prompt_starts_each_candidate_counts_its_prompt_reads():
    # racing stops every candidate after two rows: the calls saved buy 4 extra candidates on a
    # hosted model, but each new candidate's prompt reads cost time on the embedded one
    _, hosted, _ = search_on(ScriptedLM(by_input=wrong_on(20, 21)))
    result, embedded, logs = search_on(embedded_like(wrong_on(20, 21)))
    assert len(hosted) == 3 + 2 * 4
    assert 7 <= len(embedded) < len(hosted)
    assert any("example set also counted as 40 calls" in line for line in logs), logs
    assert "example set also counts as 40 calls" in result.estimate.notes


def test_with_prompt_reads_counted_the_bound_still_holds_when_racing_saves_nothing():
    # every candidate scored in full: the target's reads buy no extra candidate, and the calls
    # made stay within the estimate's at_most (which grows to cover the reads' share)
    result, val, _ = search_on(embedded_like(wrong_on(20, 21)), race=False)
    spent = result.usage["by_role"]["task"]["calls"]
    _, hosted_val, _ = search_on(ScriptedLM(by_input=wrong_on(20, 21)), race=False)
    assert spent <= result.estimate.at_most
    assert len(val) >= len(hosted_val)  # costly candidates: the reads' share buys calls
    with dspy.context(lm=ScriptedLM(by_input=wrong_on())):
        hosted = BootstrapFewShotWithRandomSearch(metric=exact, spend_share=0.75).estimate(
            qa(12), qa(10, start=20)
        )
    with dspy.context(lm=embedded_like(wrong_on())):
        embedded = BootstrapFewShotWithRandomSearch(metric=exact, spend_share=0.75).estimate(
            qa(12), qa(10, start=20)
        )
    assert embedded.total_calls == hosted.total_calls  # the likely calls do not change
    assert embedded.at_most > hosted.at_most


@pytest.mark.parametrize("weight", [0, 10, 40, 100])
@pytest.mark.parametrize("cost", [8, 30, 60])
def test_the_calls_bound_holds_for_any_candidate_cost(weight, cost):
    # the search's loop, candidate by candidate: three unweighted ones (30 rows each), then
    # bootstrapped ones all costing `cost` calls, until the work target is spent
    from types import SimpleNamespace

    from engine.optimizers.random_search._spending import Spending, most_calls

    calls, most, unweighted = 500, 60, 90
    spending = Spending(calls, [], None, most, weight=weight, planned=10)
    made = 0
    for number in range(1, 200):
        if spending.spent_out():
            break
        bootstrapped = number > 3
        scored = 30 if not bootstrapped else cost
        spending.candidate_done(SimpleNamespace(number=number, n=scored), 0, bootstrapped)
        made += scored
    assert made <= most_calls(calls + weight * 10, most, weight, unweighted)


def test_with_one_teacher_the_estimate_and_the_work_leave_out_the_teacher_runs_the_cache_answers():
    """`one_teacher=True`: a row an earlier seed's teacher ran is a cache hit, so neither the
    estimate nor the search's work counts it; the search spends what it saves on candidates,
    and its paid calls stay near its target."""
    with dspy.context(lm=ScriptedLM(by_input=wrong_on())):
        plain = BootstrapFewShotWithRandomSearch(metric=exact, num_candidate_programs=4)
        one = BootstrapFewShotWithRandomSearch(
            metric=exact, num_candidate_programs=4, one_teacher=True
        )
        assert (
            one.estimate(qa(12), qa(10, start=20)).total_calls
            < plain.estimate(qa(12), qa(10, start=20)).total_calls
        )
        assert "one teacher for all candidates" in one.estimate(qa(12), qa(10, 20)).notes
    optimizer = BootstrapFewShotWithRandomSearch(
        metric=exact, num_candidate_programs=4, max_bootstrapped_demos=2, num_threads=1,
        spend_share=0.75, race=False, one_teacher=True,
    )  # fmt: skip
    with dspy.context(lm=ScriptedLM(by_input=wrong_on(20, 21), cache=True)):
        compiled = optimizer.compile(
            dspy.Predict("question -> answer"), trainset=qa(12), valset=qa(10, start=20),
            run=RunContext(seed=0),
        )  # fmt: skip
    result = compiled.result
    target, at_most = result.estimate.calls["task"], result.estimate.at_most
    task = result.usage["by_role"]["task"]
    assert task["calls"] > task["uncached_calls"]  # teacher runs the cache answered
    paid = task["uncached_calls"]
    assert paid <= at_most and abs(paid - target) <= (at_most - target) / 2


def test_one_teachers_new_runs_are_counted_once_in_candidate_order():
    from engine.optimizers.random_search._spending import Spending

    spending = Spending(100, [], dspy.Predict("question -> answer"), 10)
    assert spending.new_teacher_runs(frozenset({(1, 0), (2, 0)})) == 2
    assert spending.new_teacher_runs(frozenset({(2, 0), (3, 0), (3, 1)})) == 2
    assert spending.new_teacher_runs(frozenset({(1, 0)})) == 0


def test_on_a_model_that_reuses_prompt_starts_one_teachers_candidates_count_fewer_reads():
    result, _, logs = search_on(embedded_like(wrong_on(20, 21)), one_teacher=True)
    assert "example set also counts as 7 calls" in result.estimate.notes


def test_the_demos_a_teacher_reads_again_follow_where_the_draw_puts_them():
    """A traced row that is one of the teacher's demos (left out for it) makes every demo after
    it be read again; the draw's positions do not depend on the rows' order."""
    rows = [f"row {i}" for i in range(30)]
    positions = labeled_rng(4).sample(range(30), 16)
    assert [rows.index(r) for r in labeled_rng(4).sample(rows, 16)] == positions
    by_hand = sum(15 - positions.index(row) for row in range(8) if row in positions)
    assert demos_read_again(30, 16, 4, traced=8) == by_hand
    assert demos_read_again(30, 16, 4, traced=0) == 0
    assert demos_read_again(30, 16, 4, traced=30) == sum(range(16))  # every demo, each once
    two_steps = demos_read_again(30, 16, 4, traced=8, predictors=2)
    assert two_steps > by_hand  # the second predictor's draw comes next from the same RNG
    draws = [demos_read_again(30, 16, seed, traced=8) for seed in range(2000)]
    assert sum(draws) / len(draws) == pytest.approx(typical_demos_read_again(30, 16, 8), rel=0.03)


def test_the_minutes_count_the_demos_this_seeds_teachers_read_again():
    def estimate(lm, seed, **params):
        optimizer = BootstrapFewShotWithRandomSearch(metric=exact, spend_share=0.75, **params)
        with dspy.context(lm=lm):
            return optimizer.estimate(qa(30), qa(30, start=40), seed=seed)

    embedded = {seed: estimate(embedded_like(wrong_on()), seed) for seed in range(8)}
    reads = {seed: e.read_again for seed, e in embedded.items()}
    assert min(reads.values()) < 0 < max(reads.values()), reads  # around a typical draw
    costly = max(reads, key=reads.get)
    assert "reads more of its prompts again than usual" in embedded[costly].notes
    cheap = min(reads, key=reads.get)
    assert "reads less of its prompts again than usual" in embedded[cheap].notes
    assert embedded[costly].to_dict()["read_again"] == reads[costly]
    hosted = estimate(ScriptedLM(by_input=wrong_on()), costly)
    assert hosted.read_again == 0 and "read_again" not in hosted.to_dict()
    assert estimate(embedded_like(wrong_on()), costly, one_teacher=True).read_again == 0
    same = (embedded[costly].total_calls, embedded[costly].tokens)
    assert same == (hosted.total_calls, hosted.tokens)  # only the minutes change
