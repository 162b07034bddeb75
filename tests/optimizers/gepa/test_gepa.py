"""GEPA with scripted LMs: budget in metric calls, reflection, acceptance, the front, merge,
details, determinism and resume."""

from __future__ import annotations

import pytest
from gepa_lms import GOOD, TwoStep, feedback_metric, qa, reflections, reflective_lm, task_calls

import engine as dspy
from engine.lm.calls import retry
from engine.optimizers import GEPA, Budget, RunContext, example_id
from engine.optimizers.gepa._plan import auto_metric_calls
from engine.optimizers.gepa._search import MAX_IDLE_ITERATIONS
from engine.optimizers.spine._base import derive_seed
from engine.runs.process.worker import known_steps


def compile_gepa(lm, student=None, train=None, val=None, run=None, **kw):
    kw.setdefault("max_metric_calls", 60)
    kw.setdefault("reflection_lm", lm)
    optimizer = GEPA(metric=feedback_metric, **kw)
    student = student or dspy.Predict("question -> answer")
    with dspy.context(lm=lm):
        return optimizer.compile(
            student,
            trainset=train if train is not None else qa(12),
            valset=val if val is not None else qa(9, start=20),
            run=run,
        )


# -- constructor ------------------------------------------------------------------------------
def test_constructor_keeps_dspy_names_and_checks_the_budget_choice():
    opt = GEPA(metric=feedback_metric, auto="light")
    assert (opt.reflection_minibatch_size, opt.candidate_selection_strategy) == (3, "pareto")
    assert (opt.use_merge, opt.max_merge_invocations, opt.skip_perfect_score) == (True, 5, True)
    assert (opt.seed, opt.track_stats, opt.component_selector) == (0, False, "round_robin")
    with pytest.raises(ValueError, match="exactly one of auto"):
        GEPA(metric=feedback_metric)
    with pytest.raises(ValueError, match="exactly one of auto"):
        GEPA(metric=feedback_metric, auto="light", max_metric_calls=10)
    with pytest.raises(ValueError, match="auto must be"):
        GEPA(metric=feedback_metric, auto="huge")
    with pytest.raises(ValueError, match="max_metric_calls must be a positive"):
        GEPA(metric=feedback_metric, max_metric_calls=0)
    with pytest.raises(ValueError, match="candidate_selection_strategy"):
        GEPA(metric=feedback_metric, auto="light", candidate_selection_strategy="best")
    with pytest.raises(ValueError, match="needs a metric"):
        GEPA(metric=None, auto="light")


def test_auto_budget_follows_dspys_formula():
    # light, 1 predictor, 9 val: trials = max(4*1*log2(6), 9) = 10
    assert auto_metric_calls("light", 1, 9) == 9 + 30 + 10 * 35 + (11 // 5 + 1) * 9
    assert auto_metric_calls("heavy", 2, 50) > auto_metric_calls("light", 2, 50)


# -- the search -------------------------------------------------------------------------------
def test_reflection_reads_feedback_and_a_kept_child_beats_the_start():
    lm = reflective_lm()
    program = compile_gepa(lm)
    result = program.result
    assert program.signature.instructions == GOOD
    assert result.baseline_score == pytest.approx(6 / 9)
    assert result.best_score == pytest.approx(1.0)
    prompts = [r["messages"][-1]["content"] for r in reflections(lm)]
    assert prompts and "expected '" in prompts[0] and "Feedback:" in prompts[0]
    assert result.actual_calls()["proposer"] == len(reflections(lm))
    events = [e.data for e in result.events if e.type == "reflection"]
    kept = [e for e in events if e["accepted"]]
    assert kept and kept[0]["instructions"] == {"self": GOOD}
    assert kept[0]["records"]["self"][0]["feedback"]
    assert kept[0]["child_score"] > kept[0]["parent_score"]


def test_budget_in_metric_calls_is_never_passed():
    for budget in (9, 10, 14, 23, 40):
        lm = reflective_lm(fix=lambda _: "Answer with the number of the question.")
        program = compile_gepa(lm, max_metric_calls=budget, use_merge=False)
        details = program.result.details
        assert details["total_metric_calls"] <= budget
        # one predictor: a metric call is one task call, and no pair is run twice
        assert len(task_calls(lm)) == details["total_metric_calls"]
        assert program.result.status == "finished"


def test_a_child_that_is_not_better_on_its_minibatch_is_not_validated():
    lm = reflective_lm(fix=lambda user: f"Answer the question. Version {len(user) % 97}.")
    program = compile_gepa(lm, max_metric_calls=40, use_merge=False)
    details = program.result.details
    assert details["candidates"] == [program.result.trials[0].candidate]
    val_trials = [t for t in program.result.trials if t.subset == "val"]
    assert len(val_trials) == 1  # the baseline only
    events = [e.data for e in program.result.events if e.type == "reflection"]
    assert events and not any(e["accepted"] for e in events)


def test_a_parent_perfect_on_its_minibatch_is_not_reflected_on():
    lm = reflective_lm()
    easy = [e for e in qa(30) if int(e.answer) % 3][:12]  # the start answers all of these
    program = compile_gepa(lm, train=easy, max_metric_calls=40)
    assert reflections(lm) == []
    events = [e.data for e in program.result.events if e.type == "reflection"]
    assert events and all("perfect" in e["skipped"] for e in events)
    assert any("found nothing new" in e.data["message"] for e in program.result.events
               if e.type == "log")  # fmt: skip
    assert len(events) <= MAX_IDLE_ITERATIONS + 4


def test_unusable_reflections_are_dropped_and_counted(monkeypatch):
    waited: list[float] = []
    monkeypatch.setattr(retry, "sleep", waited.append)  # a blank reply is asked again, unslept
    lm = reflective_lm(fix=lambda _: "   ")
    program = compile_gepa(lm, max_metric_calls=30, use_merge=False)
    events = [e.data for e in program.result.events if e.type == "reflection"]
    reflected = [e for e in events if "cleaning" in e]  # the others: parent perfect there
    # each dropped reply is replaced by a grounded variation of the parent, tested as a child
    # and recorded as a template (never as the model's writing)
    assert reflected and all(e.get("templates") == ["self"] for e in reflected)
    first = reflected[0]
    assert first["cleaning"]["self"]["dropped"] == {"empty": 1}
    assert first["cleaning"]["self"]["made"]["how"] == "template"
    dropped = first["cleaning"]["self"]["rejected"]  # the one record: how it was asked, why
    assert [(d["form"], d["why"]) for d in dropped] == [("reflection", "empty")]
    parent_text = dspy.Predict("question -> answer").signature.instructions
    assert first["instructions"]["self"].startswith(parent_text.rstrip("."))
    assert first["instructions"]["self"] != parent_text
    texts = [e["instructions"]["self"] for e in reflected]
    assert len(set(texts)) == len(texts)  # never a copy of an instruction tried before
    assert program.result.best_score == program.result.baseline_score
    assert waited  # each blank reflection was asked again before it was dropped


def test_a_reflection_never_offers_an_instruction_a_rejected_child_already_had():
    # the model writes the same unhelpful sentence every time: its children lose and leave
    # the pool, and a later reflection must not send the same text to be tested again
    same = "Answer the question briefly."
    lm = reflective_lm(fix=lambda _: same)
    program = compile_gepa(lm, max_metric_calls=80, use_merge=False)
    events = [e.data for e in program.result.events if e.type == "reflection"]
    written = [e for e in events if e.get("instructions")]
    assert len(written) >= 4 and not any(e["accepted"] for e in written)
    texts = [e["instructions"]["self"].strip().lower() for e in written]
    assert len(set(texts)) == len(texts)
    assert texts[0] == same.lower()  # the model's sentence once, then grounded variations
    later = [e["cleaning"]["self"] for e in written[1:]]
    assert all(c["made"]["how"] == "template" for c in later)
    assert all(c["rejected"][0]["why"] == "duplicate" for c in later)


def test_details_carry_candidates_parents_scores_and_best():
    lm = reflective_lm()
    program = compile_gepa(lm, track_stats=True)
    details = program.result.details
    assert program.detailed_results is details
    n = len(details["candidates"])
    assert n >= 2 and details["parents"][0] == [] and details["parents"][1] == [0]
    assert len(details["val_subscores"]) == n and len(details["val_subscores"][0]) == 9
    assert details["best_idx"] == max(range(n), key=lambda i: details["val_aggregate_scores"][i])
    assert details["instructions"][details["best_idx"]] == {"self": GOOD}
    assert all(details["best_idx"] in best for best in details["per_val_instance_best_candidates"])


def test_same_seed_same_run():
    runs = []
    for _ in range(2):
        lm = reflective_lm(fix=lambda user: GOOD if "q3" in user or "q6" in user else "Be brief.")
        program = compile_gepa(lm, max_metric_calls=50, seed=3)
        runs.append([(t.number, t.candidate, t.subset, t.score) for t in program.result.trials])
    assert runs[0] == runs[1]


# -- several predictors: round robin and merge ------------------------------------------------
def test_predictors_are_taken_round_robin():
    lm = reflective_lm(fix=lambda _: "Just answer.")  # never better: the parent stays 0
    program = compile_gepa(lm, student=TwoStep(), max_metric_calls=40, use_merge=False)
    events = [e.data for e in program.result.events if e.type == "reflection"]
    chosen = [e["predictors"][0] for e in events if e["parent_index"] == 0]
    assert chosen[:4] == ["draft", "finish", "draft", "finish"]


def test_a_due_merge_is_scored_and_kept_with_both_parents():
    from engine.optimizers.gepa._pool import CandidatePool
    from engine.optimizers.gepa._search import GepaSearch
    from engine.optimizers.spine._trials import TrialRunner

    lm = reflective_lm()
    run = RunContext()
    runner = TrialRunner(run, feedback_metric)
    val = qa(6, start=30)
    base = TwoStep()
    left, right = base.deepcopy(), base.deepcopy()
    left.draft.signature = left.draft.signature.with_instructions("Draft carefully.")
    right.finish.signature = right.finish.signature.with_instructions("Finish carefully.")
    opt = GEPA(metric=feedback_metric, max_metric_calls=100)
    with dspy.context(lm=lm), run.activate():
        pool = CandidatePool([example_id(e) for e in val])
        search = GepaSearch(runner, pool, 100, qa(6), val, ["draft", "finish"], 0, opt)
        search.start(base)
        for program, origin in ((left, "left"), (right, "right")):
            trial = search._evaluate(program, search.pool.val_ids, "val", origin=origin)
            search.pool.add(program, trial.candidate, [0], origin, trial.example_scores, 0)
        search.merges_due = 1
        assert search._try_merge()
    merges = [e.data for e in run.recorder.events if e.type == "reflection"]
    assert len(merges) == 1 and merges[0]["kind"] == "merge"
    assert merges[0]["taken"] == {"draft": "left", "finish": "right"}
    assert merges[0]["accepted"]  # both fixed: the merged program is right where either was
    merged = search.pool.entries[merges[0]["child_index"]]
    assert merged.parents == [1, 2] and merged.score == pytest.approx(1.0)
    assert search.used <= 100


def test_merge_unit_takes_each_changed_predictor():
    import random

    from engine.optimizers.gepa._merge import propose_merge
    from engine.optimizers.gepa._pool import CandidatePool

    base = TwoStep()
    left, right = base.deepcopy(), base.deepcopy()
    left.draft.signature = left.draft.signature.with_instructions("L draft")
    right.finish.signature = right.finish.signature.with_instructions("R finish")
    pool = CandidatePool(["a", "b"])
    pool.add(base, "h0", [], "start", {"a": 0.0, "b": 0.0}, 2)
    pool.add(left, "h1", [0], "left", {"a": 1.0, "b": 0.0}, 4)
    pool.add(right, "h2", [0], "right", {"a": 0.0, "b": 1.0}, 6)
    plan = propose_merge(pool, random.Random(0), set(), {1, 2})
    assert plan is not None and plan.taken == {"draft": "left", "finish": "right"}
    merged = dict(plan.program.named_predictors())
    assert merged["draft"].signature.instructions == "L draft"
    assert merged["finish"].signature.instructions == "R finish"
    assert propose_merge(pool, random.Random(0), {(1, 2)}, {1, 2}) is None


# -- the front --------------------------------------------------------------------------------
def test_front_and_parent_selection():
    import random

    from engine.optimizers.gepa._pool import CandidatePool

    pool = CandidatePool(["a", "b", "c", "d"])
    pool.add("p0", "h0", [], "", {"a": 0, "b": 0, "c": 0, "d": 0}, 0)
    pool.add("p1", "h1", [0], "", {"a": 1, "b": 1, "c": 1, "d": 0}, 0)
    pool.add("p2", "h2", [0], "", {"a": 0, "b": 0, "c": 0, "d": 1}, 0)
    pool.add("p3", "h3", [1], "", {"a": 1, "b": 0, "c": 0, "d": 0}, 0)  # dominated by 1
    fronts = pool.front()
    assert fronts == {"a": {1, 3}, "b": {1}, "c": {1}, "d": {2}}
    assert pool.front_counts() == {1: 3, 2: 1}
    rng = random.Random(0)
    picks = [pool.select_parent("pareto", rng).index for _ in range(400)]
    assert set(picks) == {1, 2} and 0.65 < picks.count(1) / 400 < 0.85
    assert pool.select_parent("current_best", rng).index == 1


# -- LM budget, estimate, resume --------------------------------------------------------------
def test_an_lm_call_budget_ends_the_run_cleanly():
    lm = reflective_lm()
    run = RunContext(budget=Budget(max_calls=14))
    program = compile_gepa(lm, run=run)
    assert program.result.status == "stopped: budget"
    assert program.result.usage["calls"] <= 14


def test_estimate_bounds_task_calls_by_the_budget():
    opt = GEPA(metric=feedback_metric, max_metric_calls=60)
    estimate = opt.estimate(qa(12), qa(9, start=20), student=dspy.Predict("question -> answer"))
    assert 0.8 * 60 <= estimate.calls["task"] <= 60 and estimate.calls["proposer"] >= 1
    assert "60 metric calls" in estimate.notes and "at most 60" in estimate.notes
    two = opt.estimate(qa(12), qa(9, start=20), student=TwoStep())
    assert two.calls["task"] <= 120 and "at most 120" in two.notes  # a metric call runs both
    lm = reflective_lm()
    program = compile_gepa(lm, max_metric_calls=60)
    assert program.result.actual_calls()["task"] <= 60


def test_the_forecast_walks_the_search_exactly_when_its_odds_are_the_models():
    """A reflector whose every instruction is usable and none beats its parent: the forecast
    with those odds gives the run's reflections and metric calls exactly."""
    from engine.optimizers.gepa._forecast import ReflectionOdds, forecast_search
    from engine.optimizers.gepa._plan import MinibatchOrder

    written = iter(range(10_000))

    def no_better(user: str) -> str:
        return f"Answer the question (variant {next(written)})."

    lm = reflective_lm(fix=no_better)
    program = compile_gepa(lm, max_metric_calls=40, use_merge=False)
    train_ids, val_ids = [example_id(e) for e in qa(12)], [example_id(e) for e in qa(9, 20)]
    order = MinibatchOrder(train_ids, 3, derive_seed(0, "gepa"))
    ahead = forecast_search(40, val_ids, order, ReflectionOdds(1.0, 0.0, "scripted"))
    assert program.result.details["total_metric_calls"] == round(ahead.metric_calls) == 39
    assert len(reflections(lm)) == round(ahead.reflections)


def test_a_resumed_run_repeats_no_pair_and_ends_as_an_uninterrupted_one():
    def fix(user: str) -> str:
        return GOOD if "q6" in user or "q9" in user else f"Answer. ({len(user) % 89})"

    full = compile_gepa(reflective_lm(fix=fix), max_metric_calls=70, use_merge=False, seed=1)
    first_lm = reflective_lm(fix=fix)
    first = compile_gepa(
        first_lm, run=RunContext(budget=Budget(max_calls=30)), max_metric_calls=70,
        use_merge=False, seed=1,
    )  # fmt: skip
    assert first.result.status == "stopped: budget"
    done = {(t.candidate, ex) for t in first.result.trials for ex in t.example_scores}
    known_results = {
        (t.candidate, row["example_id"]): row for t in first.result.trials for row in t.rows
    }
    second_lm = reflective_lm(fix=fix)
    resumed = compile_gepa(
        second_lm,
        run=RunContext(known_trials=list(first.result.trials), known_results=known_results),
        max_metric_calls=70, use_merge=False, seed=1,
    )  # fmt: skip
    # the store keeps the rows of finished trials: the one cut off by the budget is lost
    assert done and 0 <= len(task_calls(first_lm)) - len(done) <= 9
    numbers = [t.number for t in resumed.result.trials]
    assert sorted(numbers) == list(range(1, len(numbers) + 1))
    assert [(t.candidate, t.subset, t.score) for t in resumed.result.trials] == [
        (t.candidate, t.subset, t.score) for t in full.result.trials
    ]
    assert resumed.result.details == full.result.details
    all_pairs = {(t.candidate, ex) for t in full.result.trials for ex in t.example_scores}
    assert len(task_calls(second_lm)) == len(all_pairs - done)


def test_bad_input_stops_before_the_search():
    lm = reflective_lm()
    with pytest.raises(ValueError, match="smaller than one evaluation of the 9 validation"):
        compile_gepa(lm, max_metric_calls=8)
    assert lm.history == []

    def wordy(gold, pred, trace=None):
        return "looks fine"

    optimizer = GEPA(metric=wordy, max_metric_calls=60, reflection_lm=lm)
    with dspy.context(lm=lm), pytest.raises(TypeError, match="the metric returned 'looks fine'"):
        optimizer.compile(dspy.Predict("question -> answer"), trainset=qa(6), valset=qa(9))
    assert len(lm.history) < 9  # found on the first example (and those already in flight)


def test_the_task_lm_reflects_sampled_and_a_given_reflection_lm_as_it_is():
    """With no reflection LM the task LM reflects at temperature 1.0 (at its own 0 it repeats
    the same rewrite, which is then thrown away); a given reflection LM keeps its settings."""
    lm = reflective_lm()
    compile_gepa(lm, reflection_lm=None, max_metric_calls=40)
    asked = [h["kwargs"].get("temperature") for h in reflections(lm)]
    assert asked and set(asked) == {1.0}
    given = reflective_lm()
    compile_gepa(given, max_metric_calls=40)
    assert {h["kwargs"].get("temperature") for h in reflections(given)} == {None}


def test_a_resumed_run_announces_the_step_a_killed_worker_stored_trials_for_but_never_told():
    """kill -9 between a reflection's last trial and its event (issue 37 item 9): the resumed
    run replays that trial and still announces the reflection; the ones stored are not repeated."""

    def fix(user: str) -> str:
        return GOOD if "q6" in user or "q9" in user else f"Answer. ({len(user) % 89})"

    first = compile_gepa(reflective_lm(fix=fix), max_metric_calls=70, use_merge=False, seed=1)
    told = [e.to_dict() for e in first.result.events if e.type == "reflection"]
    assert len(told) >= 3
    lost = told[1]["data"]["iteration"]
    stored = [e for e in told if e["data"]["iteration"] != lost]  # its event never written
    rows = {(t.candidate, row["example_id"]): row for t in first.result.trials for row in t.rows}
    run = RunContext(known_trials=list(first.result.trials), known_results=rows,
                     known_steps=known_steps(stored))  # fmt: skip
    again = compile_gepa(reflective_lm(fix=fix), run=run, max_metric_calls=70, use_merge=False,
                         seed=1)  # fmt: skip
    announced = [e.data["iteration"] for e in again.result.events if e.type == "reflection"]
    assert announced == [lost]


def test_a_reflection_with_every_example_variation_tried_still_offers_a_new_one():
    # the model only ever repeats the parent's instruction (dropped as a duplicate) and no
    # child wins, so the parent never changes: each training row's "watch out" variation can
    # be tested once, and once a minibatch's rows are used up the data's own variations
    # (labels, a labelled example, ...) must still give something new to test
    parent_text = dspy.Predict("question -> answer").signature.instructions
    lm = reflective_lm(fix=lambda _: parent_text)
    program = compile_gepa(lm, max_metric_calls=140, use_merge=False)
    events = [e.data for e in program.result.events if e.type == "reflection"]
    asked = [e for e in events if "cleaning" in e]  # the others: parent perfect there
    assert len(asked) > len(qa(12))  # more reflections than rows: row variations run out
    assert [e.get("skipped") for e in asked if e.get("skipped")] == []
    texts = [e["instructions"]["self"].strip().lower() for e in asked]
    assert len(set(texts)) == len(texts)
    made = [e["cleaning"]["self"]["made"] for e in asked]
    assert all(m["how"] == "template" for m in made)
    # first each row's own variation, then the data's, then a row's sentence with the data's
    grounded = [m["grounded_in"] for m in made]
    tiers = ["the reflection's examples", "the training data",
             "the reflection's examples and the training data"]  # fmt: skip
    assert sorted(set(grounded), key=grounded.index) == tiers
    from_data = [m for m in made if m["grounded_in"] != tiers[0]]
    assert all(m["template"] and m["data"].startswith("12 training rows") for m in from_data)
