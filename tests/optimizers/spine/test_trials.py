import pytest

import engine as dspy
from engine.core._errors import BudgetExhausted
from engine.evaluate import ExactMatch, TooManyErrors
from engine.lm import ScriptedLM
from engine.lm.scripted import input_fields
from engine.optimizers import Budget, RunCancelled, RunContext, Trial, TrialRunner, example_id

ROW_KEYS = {"example_id", "index", "inputs", "outputs", "score", "error", "feedback", "trace"}


def examples(n):
    return [dspy.Example(question=f"q{i}", answer=str(i)).with_inputs("question") for i in range(n)]


def echo_lm():
    """Answers q<i> with i, except q3 (wrong)."""

    def answer(messages):
        number = input_fields(messages[-1]["content"])["question"][1:]
        return {"answer": "wrong" if number == "3" else number}

    return ScriptedLM(by_input=answer)


def runner_for(run, **kw):
    return TrialRunner(run, ExactMatch(), num_threads=kw.pop("num_threads", 2), **kw)


def test_pairs_are_never_evaluated_twice():
    lm, run = echo_lm(), RunContext()
    runner = runner_for(run)
    program = dspy.Predict("question -> answer")
    data = examples(8)
    with dspy.context(lm=lm), run.activate():
        first = runner.evaluate(program, data[:5], subset="minibatch")
        second = runner.evaluate(program, data[3:8], subset="minibatch")
        dup = runner.evaluate(program, [data[0], data[0], data[1]], subset="minibatch")
    assert lm.calls_made == 8
    assert (first.number, second.number, dup.number) == (1, 2, 3)
    assert first.score == pytest.approx(4 / 5) and second.score == pytest.approx(4 / 5)
    assert first.usage["calls"] == 5 and second.usage["calls"] == 3 and dup.usage["calls"] == 0
    assert dup.n == 3 and [r["index"] for r in dup.rows] == [0, 1, 2]
    trial_events = run.recorder.of_type("trial")
    assert [e.data["number"] for e in trial_events] == [1, 2, 3]
    assert all(set(row) == ROW_KEYS for row in trial_events[0].data["rows"])
    assert len(run.recorder.of_type("candidate")) == 1
    assert len(run.recorder.of_type("lm_usage")) == 3


def test_a_repeated_trial_gets_no_new_number_or_event():
    lm, run = echo_lm(), RunContext()
    runner = runner_for(run)
    with dspy.context(lm=lm), run.activate():
        one = runner.evaluate(dspy.Predict("question -> answer"), examples(4))
        again = runner.evaluate(dspy.Predict("question -> answer"), list(reversed(examples(4))))
    assert again is one and len(run.recorder.of_type("trial")) == 1 and run.trials == [one]


def test_programs_whose_prompts_are_the_same_are_scored_once():
    """A bootstrapped demo equal to a labeled one (or one with columns the signature does not
    use) renders the same prompt: one candidate, no second call per row."""
    lm, run = echo_lm(), RunContext()
    runner = runner_for(run)
    bootstrapped, labeled, other = (dspy.Predict("question -> answer") for _ in range(3))
    bootstrapped.demos = [dspy.Example(augmented=True, question="q9", answer="9")]
    labeled.demos = [dspy.Example(question="q9", answer="9", source="faq.csv")]
    other.demos = [dspy.Example(question="q9", answer="nine")]
    data = examples(4)
    with dspy.context(lm=lm), run.activate():
        first = runner.evaluate(bootstrapped, data)
        same = runner.evaluate(labeled, data)
        different = runner.evaluate(other, data)
    assert same is first and different.candidate != first.candidate
    assert lm.calls_made == 8
    kept = run.candidates[first.candidate].state["demos"][0]
    assert kept["augmented"] is True  # the first program's own state is what is kept


def test_best_tracking_uses_val_trials_only():
    lm, run = echo_lm(), RunContext()
    runner = runner_for(run)
    zero_shot = dspy.Predict("question -> answer")
    with_demo = dspy.Predict("question -> answer")
    with_demo.demos = [dspy.Example(question="x", answer="y")]
    data = examples(5)
    with dspy.context(lm=lm), run.activate():
        runner.evaluate(zero_shot, data, subset="test")
        runner.evaluate(zero_shot, data, subset="val", track_best=False)
        assert run.best is None and runner.best_program() is None
        runner.evaluate(zero_shot, data, subset="val")  # 4/5 (q3 wrong)
        runner.evaluate(with_demo, data[:4], subset="val")  # 3/4: not better
        runner.evaluate(with_demo, data[:3], subset="full")  # 3/3: new best
    best_events = run.recorder.of_type("best_changed")
    assert [e.data["previous"] for e in best_events] == [None, pytest.approx(0.8)]
    assert run.best.score == 1.0 and run.best.subset == "full"
    assert len(runner.best_program().demos) == 1


def test_known_results_and_trials_are_replayed_without_calls_or_events():
    data = examples(6)
    program = dspy.Predict("question -> answer")
    lm, first = echo_lm(), RunContext()
    with dspy.context(lm=lm), first.activate():
        runner_for(first).evaluate(program, data[:4], subset="val")
        runner_for(first).evaluate(program, data[2:6], subset="minibatch")
    trials = [Trial.from_dict(e.data) for e in first.recorder.of_type("trial")]
    results = {
        (e.data["candidate"], r["example_id"]): r
        for e in first.recorder.of_type("trial")
        for r in e.data["rows"]
    }

    lm2 = echo_lm()
    resumed = RunContext(known_results=results, known_trials=trials)
    runner = runner_for(resumed)
    with dspy.context(lm=lm2), resumed.activate():
        replayed = runner.evaluate(program, data[:4], subset="val")
        fresh = runner.evaluate(program, data, subset="val")
    assert lm2.calls_made == 0
    assert replayed.number == 1 and replayed.score == trials[0].score
    assert fresh.number == 3  # continues after the highest known number
    assert [e.data["number"] for e in resumed.recorder.of_type("trial")] == [3]
    assert resumed.recorder.of_type("candidate") == []  # already announced in the first run
    assert resumed.best is fresh or resumed.best is replayed


def test_budget_stop_keeps_finished_rows_for_later():
    data = examples(5)
    program = dspy.Predict("question -> answer")
    lm, run = echo_lm(), RunContext(budget=Budget(max_calls=3))
    with dspy.context(lm=lm), run.activate():
        with pytest.raises(BudgetExhausted):
            runner_for(run, num_threads=1).evaluate(program, data)
    assert lm.calls_made == 3 and len(run.results) == 3 and run.trials == []
    resumed = RunContext(known_results=run.results)
    with dspy.context(lm=lm), resumed.activate():
        trial = runner_for(resumed).evaluate(program, data)
    assert lm.calls_made == 5 and trial.n == 5


def test_cancel_is_checked_before_a_trial():
    run = RunContext(should_cancel=lambda: True)
    with pytest.raises(RunCancelled):
        runner_for(run).evaluate(dspy.Predict("question -> answer"), examples(2))


def test_failures_score_zero_and_max_errors_raises():
    def broken(messages):
        raise ValueError("model fell over")

    lm = ScriptedLM(by_input=broken, num_retries=0)
    run = RunContext()
    with dspy.context(lm=lm), run.activate():
        trial = runner_for(run).evaluate(dspy.Predict("question -> answer"), examples(3))
        assert trial.errors == 3 and trial.score == 0 and all(r["error"] for r in trial.rows)
        with pytest.raises(TooManyErrors):
            runner_for(run, max_errors=1).evaluate(dspy.Predict("question -> answer"), examples(5))


def test_trial_round_trips_through_its_event_payload():
    run = RunContext()
    with dspy.context(lm=echo_lm()), run.activate():
        trial = runner_for(run).evaluate(dspy.Predict("question -> answer"), examples(3))
    again = Trial.from_dict(run.recorder.of_type("trial")[0].data)
    assert again == trial and again.key() == trial.key()
    assert set(trial.example_scores) == {example_id(e) for e in examples(3)}
    usage = run.recorder.of_type("lm_usage")[-1].data
    assert usage["calls"] == 3 and usage["by_role"]["task"]["calls"] == 3
