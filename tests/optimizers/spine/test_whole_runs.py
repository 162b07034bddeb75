"""Whole runs on the sample sentiment task: estimates, budgets, resume, cancel, event payloads."""

import csv
import hashlib
from pathlib import Path

import pytest

import engine as dspy
from engine.lm import ScriptedLM
from engine.lm.scripted import input_fields
from engine.optimizers import (
    BootstrapFewShot,
    BootstrapFewShotWithRandomSearch,
    Budget,
    LabeledFewShot,
    RunContext,
    Trial,
)

SAMPLE = Path(__file__).resolve().parents[3] / "sample_data" / "reviews.csv"
ROWS = list(csv.DictReader(SAMPLE.open()))
TRUTH = {r["review"]: r["sentiment"] for r in ROWS}


def sentiment_data():
    data = [
        dspy.Example(review=r["review"], sentiment=r["sentiment"]).with_inputs("review")
        for r in ROWS
    ]
    return data[:30], data[30:50]


def sentiment_lm(**kw):
    """Right on a fixed half of the reviews zero-shot; each demo in the prompt adds a tenth."""

    def answer(messages):
        review = input_fields(messages[-1]["content"]).get("review", "")
        demos = sum(1 for m in messages if m["role"] == "assistant")
        truth = TRUTH.get(review, "positive")
        if int(hashlib.sha256(review.encode()).hexdigest(), 16) % 10 < 5 + demos:
            return {"sentiment": truth}
        return {"sentiment": "negative" if truth == "positive" else "positive"}

    return ScriptedLM(by_input=answer, **kw)


def metric(example, prediction, trace=None):
    return example.sentiment == prediction.sentiment


def task_calls(lm):
    return sum(1 for h in lm.history if h["role"] == "task" and not h["cache_hit"])


OPTIMIZERS = {
    "labeled": lambda: LabeledFewShot(k=8, metric=metric),
    "bootstrap": lambda: BootstrapFewShot(metric=metric),
    "bootstrap-3-rounds": lambda: BootstrapFewShot(
        metric=metric, max_rounds=3, max_bootstrapped_demos=2
    ),
    # 4 labeled demos: no candidate is perfect (that would end the search at once)
    "random-search": lambda: BootstrapFewShotWithRandomSearch(
        metric=metric, num_candidate_programs=8, max_labeled_demos=4
    ),
    "random-search-no-racing": lambda: BootstrapFewShotWithRandomSearch(
        metric=metric, num_candidate_programs=8, max_labeled_demos=4, race=False
    ),
}


def compile_with(optimizer, lm, run=None, student=None):
    train, val = sentiment_data()
    with dspy.context(lm=lm):
        return optimizer.compile(
            student or dspy.Predict("review -> sentiment"), trainset=train, valset=val, run=run
        )


@pytest.mark.parametrize("name", sorted(set(OPTIMIZERS) - {"random-search"}))
def test_estimate_is_within_20_percent_of_actual_calls(name):
    lm = sentiment_lm()
    compiled = compile_with(OPTIMIZERS[name](), lm)
    result = compiled.result
    estimated, actual = result.estimate.calls["task"], result.actual_calls()["task"]
    assert actual == lm.calls_made
    assert abs(estimated - actual) <= 0.2 * actual, (estimated, actual)
    assert result.estimate.trials == len(result.trials)
    assert result.estimate_vs_actual() == {"task": {"estimate": estimated, "actual": actual}}


def test_racing_picks_the_same_program_for_fewer_calls_within_the_estimate():
    full_lm, raced_lm = sentiment_lm(), sentiment_lm()
    full = compile_with(OPTIMIZERS["random-search-no-racing"](), full_lm).result
    raced = compile_with(OPTIMIZERS["random-search"](), raced_lm).result
    assert (raced.best_candidate, raced.best_score) == (full.best_candidate, full.best_score)
    assert raced_lm.calls_made < full_lm.calls_made <= 1.2 * full.estimate.calls["task"]
    assert raced_lm.calls_made <= raced.estimate.calls["task"]  # the estimate is an upper bound
    assert "at most" in raced.estimate.notes


@pytest.mark.parametrize("name", ["bootstrap", "random-search"])
@pytest.mark.parametrize("cap", [1, 25, 41])
def test_budget_cap_stops_cleanly_with_a_valid_program(name, cap):
    lm = sentiment_lm()
    run = RunContext(budget=Budget(max_calls=cap))
    compiled = compile_with(OPTIMIZERS[name](), lm, run=run)
    result = compiled.result
    assert lm.calls_made <= cap and result.usage["uncached_calls"] <= cap
    assert result.status == "stopped: budget"
    finished = result.events[-1]
    assert finished.type == "run_finished" and finished.data["status"] == "stopped: budget"
    assert any(e.type == "log" and "max_calls" in e.data["message"] for e in result.events)
    with dspy.context(lm=sentiment_lm()):
        prediction = compiled(review="Great product")  # a usable program comes back
    assert prediction.sentiment in ("positive", "negative")
    if result.best_candidate is not None and result.best_score is not None:
        assert dspy.optimizers.Candidate.from_program(compiled).hash == result.best_candidate


def test_per_role_budget_for_task_calls():
    lm = sentiment_lm()
    run = RunContext(budget=Budget(per_role={"task": {"max_calls": 30}}))
    result = compile_with(OPTIMIZERS["random-search"](), lm, run=run).result
    assert result.status == "stopped: budget" and lm.calls_made == 30


@pytest.mark.parametrize("name", ["random-search", "random-search-no-racing"])
def test_no_candidate_example_pair_is_evaluated_twice(name):
    lm = sentiment_lm()
    result = compile_with(OPTIMIZERS[name](), lm).result
    pairs = [(t.candidate, ex) for t in result.trials for ex in t.example_scores]
    assert len(pairs) == len(set(pairs))
    boot_calls = lm.calls_made - sum(t.usage["calls"] for t in result.trials)
    assert sum(t.usage["calls"] for t in result.trials) == sum(t.n for t in result.trials)
    assert boot_calls >= 0


def _known(events):
    trials = [Trial.from_dict(e.data) for e in events if e.type == "trial"]
    results = {(t.candidate, r["example_id"]): r for t in trials for r in t.rows}
    candidates = {e.data["hash"] for e in events if e.type == "candidate"}
    return trials, results, candidates


@pytest.mark.parametrize("name", ["bootstrap", "random-search"])
def test_resume_replays_known_trials_without_lm_calls(name):
    first_lm = sentiment_lm(cache=True)  # bootstrapping comes back from the LM cache
    first = compile_with(OPTIMIZERS[name](), first_lm).result
    trials, results, candidates = _known(first.events)

    second_lm = sentiment_lm(cache=True)
    recorder = dspy.optimizers.EventRecorder(start_seq=first.events[-1].seq)
    run = RunContext(
        known_results=results, known_trials=trials, known_candidates=candidates, recorder=recorder
    )
    second = compile_with(OPTIMIZERS[name](), second_lm, run=run).result
    assert second_lm.calls_made == 0 and second.usage["uncached_calls"] == 0
    assert (second.best_candidate, second.best_score) == (first.best_candidate, first.best_score)
    assert [t.number for t in second.trials] == [t.number for t in first.trials]
    types = [e.type for e in second.events]
    assert "trial" not in types and "candidate" not in types and "best_changed" not in types
    assert second.events[0].seq == first.events[-1].seq + 1


@pytest.mark.parametrize("name", ["random-search", "random-search-no-racing"])
def test_resume_after_a_budget_stop_finishes_like_an_uninterrupted_run(name):
    reference_lm = sentiment_lm(cache=False)
    reference = compile_with(OPTIMIZERS[name](), reference_lm).result

    lm = sentiment_lm(cache=True)
    stopped = compile_with(
        OPTIMIZERS[name](), lm, run=RunContext(budget=Budget(max_calls=30))
    ).result
    assert stopped.status == "stopped: budget"
    trials, results, candidates = _known(stopped.events)  # what the store holds
    run = RunContext(known_results=results, known_trials=trials, known_candidates=candidates)
    resumed_lm = sentiment_lm(cache=True)
    resumed = compile_with(OPTIMIZERS[name](), resumed_lm, run=run).result
    assert resumed.status == "finished"
    assert (resumed.best_candidate, resumed.best_score) == (
        reference.best_candidate,
        reference.best_score,
    )
    numbers = [t.number for t in resumed.trials]
    assert numbers == list(range(1, len(numbers) + 1))
    assert [t.candidate for t in resumed.trials] == [t.candidate for t in reference.trials]
    pairs = [(t.candidate, ex) for t in resumed.trials for ex in t.example_scores]
    assert len(pairs) == len(set(pairs))  # no example scored twice for one candidate
    if name == "random-search-no-racing":
        # nothing is paid twice: rows of the interrupted trial come back from the LM cache
        assert lm.calls_made + resumed_lm.calls_made == reference_lm.calls_made
    else:  # where a raced candidate stops depends on thread timing, not on the resume
        assert lm.calls_made + resumed_lm.calls_made <= reference_lm.calls_made + 4 * len(numbers)


def test_cancel_between_trials():
    seen = []
    run = RunContext(should_cancel=lambda: len([e for e in seen if e.type == "trial"]) >= 3)
    run.recorder.add_sink(seen.append)
    lm = sentiment_lm()
    compiled = compile_with(OPTIMIZERS["random-search"](), lm, run=run)
    result = compiled.result
    assert result.status == "cancelled" and len(result.trials) == 3
    assert result.events[-1].data["status"] == "cancelled"
    assert dspy.optimizers.Candidate.from_program(compiled).hash == result.best_candidate


def test_run_failed_is_emitted_and_the_error_raised():
    run = RunContext()
    train, val = sentiment_data()
    with dspy.context(lm=sentiment_lm()), pytest.raises(ValueError, match="structure"):
        BootstrapFewShot(metric=metric).compile(
            dspy.Predict("review -> sentiment"), trainset=train, valset=val, run=run,
            teacher=dspy.ChainOfThought("review -> sentiment"))  # fmt: skip
    teacher_mismatch = run.recorder.events[-1]
    assert teacher_mismatch.type == "run_failed" and "structure" in teacher_mismatch.data["error"]
    assert "Traceback" in teacher_mismatch.data["traceback"]


def test_event_payloads_follow_the_spine():
    result = compile_with(OPTIMIZERS["random-search"](), sentiment_lm()).result
    events = result.events
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert events[0].type == "run_started" and events[-1].type == "run_finished"
    keys = {
        "run_started": {"optimizer", "params", "trainset_size", "valset_size", "estimate"},
        "phase": {"name", "detail"},
        "candidate": {"hash", "parents", "origin", "state"},
        "trial": {
            "number",
            "candidate",
            "subset",
            "score",
            "n",
            "errors",
            "usage",
            "wall_time",
            "rows",
        },
        "best_changed": {"candidate", "score", "previous"},
        "log": {"level", "message"},
        # with the estimate as the search left it (`Estimate.done_share`)
        "run_finished": {"status", "best_candidate", "best_score", "baseline_score", "usage"}
        | {"estimate"},
    }
    for event in events:
        if event.type in keys:
            assert set(event.data) == keys[event.type], event.type
    usage = [e for e in events if e.type == "lm_usage"]
    assert len(usage) == len(result.trials) and "by_role" in usage[-1].data
    assert {"calls", "uncached_calls", "tokens", "cost"} <= set(
        events[[e.type for e in events].index("trial")].data["usage"]
    )
    started = events[0].data
    assert started["params"]["metric"] == "metric" and started["estimate"]["calls"]["task"] > 0
    phases = {e.data["name"] for e in events if e.type == "phase"}
    # the scripted LM serves calls concurrently: each candidate is bootstrapped while the one
    # before it is scored, which a log line says (the phase stays "evaluating candidates")
    assert phases == {"baseline", "evaluating candidates"}
    assert any("next candidate ahead" in e.data["message"] for e in events if e.type == "log")
    # every trial comes after its candidate's announcement
    announced = set()
    for event in events:
        if event.type == "candidate":
            announced.add(event.data["hash"])
        if event.type == "trial":
            assert event.data["candidate"] in announced


def test_public_names_resolve_from_engine():
    names = "LabeledFewShot BootstrapFewShot BootstrapFewShotWithRandomSearch BootstrapRS Optimizer"
    names += " Candidate Trial Budget Estimate RunContext EventRecorder Event OptimizationResult"
    for name in names.split():
        assert getattr(dspy, name) is getattr(dspy.optimizers, name)
    from engine.teleprompt import BootstrapFewShot as viaTeleprompt  # noqa: N813

    assert viaTeleprompt is BootstrapFewShot
