"""SIMBA on a scripted LM whose answers depend on the rollout: constructor, seeded steps,
variants, spread, the demo and rule strategies, junk rules, step events, estimate, budget,
resume, and never ending worse than the student."""

from __future__ import annotations

import inspect
from types import SimpleNamespace

import pytest
from simba_lms import GOOD_RULE, SimbaLM, exact, qa, rule_calls

import engine as dspy
from engine.optimizers import SIMBA, Budget, RunContext
from engine.optimizers.simba._spread import buckets_by_spread, percentile
from engine.optimizers.simba._strategies import append_demo, trajectory_demos
from engine.optimizers.simba._variants import RolloutVariant
from engine.runs.process.worker import known_steps

SMALL = {"bsize": 6, "num_candidates": 3, "max_steps": 3, "max_demos": 2}
NEUTRAL_RULE = "If the question names a number, then reply with that number."
NEUTRAL_RULES = [  # rules that change nothing for the scripted LM, each different
    f"If the question is about item {i}, then reply with its number." for i in range(9)
]


def run_simba(lm=None, *, run=None, train=12, val=None, seed=None, **params):
    lm = lm or SimbaLM()
    settings = {**SMALL, **params}
    with dspy.context(lm=lm):
        return SIMBA(metric=exact, **settings).compile(
            dspy.Predict("question -> answer"),
            trainset=qa(train),
            valset=None if val is None else qa(val, start=100),
            seed=seed,
            run=run or RunContext(seed=0),
        )


def events(result, kind):
    return [e.data for e in result.events if e.type == kind]


def instructions_of(state):
    return state["signature"]["instructions"]


def test_constructor_names_and_defaults_are_dspys():
    params = inspect.signature(SIMBA).parameters
    expected = {
        "metric": inspect.Parameter.empty, "bsize": 32, "num_candidates": 6, "max_steps": 8,
        "max_demos": 4, "prompt_model": None, "teacher_settings": None,
        "demo_input_field_maxlen": 100_000, "num_threads": None,
        "temperature_for_sampling": 0.2, "temperature_for_candidates": 0.2,
    }  # fmt: skip
    for name, default in expected.items():
        assert params[name].default == default, name
        assert params[name].kind is inspect.Parameter.KEYWORD_ONLY
    compile_params = inspect.signature(SIMBA.compile).parameters
    assert {"student", "trainset", "seed"} <= set(compile_params)
    assert dspy.SIMBA is SIMBA


@pytest.mark.parametrize(
    "bad", [{"bsize": 0}, {"num_candidates": 0}, {"max_steps": 0}, {"max_demos": -1},
            {"temperature_for_sampling": 0}, {"metric": None}],
)  # fmt: skip
def test_bad_settings_are_refused(bad):
    with pytest.raises(ValueError):
        SIMBA(**{"metric": exact, **bad})


def test_seeded_runs_repeat_their_steps_and_result():
    first, second = run_simba(seed=3).result, run_simba(seed=3).result
    assert events(first, "simba_step") == events(second, "simba_step")
    assert first.best_candidate == second.best_candidate
    assert [(t.candidate, t.subset, t.score) for t in first.trials] == [
        (t.candidate, t.subset, t.score) for t in second.trials
    ]
    other = run_simba(seed=4).result
    assert [s["batch_ids"] for s in events(other, "simba_step")] != [
        s["batch_ids"] for s in events(first, "simba_step")
    ]


def test_variants_are_distinct_candidates_each_evaluated_on_the_batch():
    result = run_simba().result
    step = events(result, "simba_step")[0]
    hashes = [v["candidate"] for v in step["variants"]]
    assert len(hashes) == len(set(hashes)) == SMALL["num_candidates"]
    assert [v["setting"] for v in step["variants"]] == ["as it is", "rollout 1", "rollout 2"]
    by_hash = {c.hash: c for c in result.candidates}
    for variant in step["variants"][1:]:  # the rollout is part of the state, hence the hash
        state = by_hash[variant["candidate"]].state
        assert state["lm"] == {"rollout_id": variant["index"], "temperature": 1.0}
    trials = {}
    for trial in result.trials:  # each variant's first trial: step 1's
        if trial.subset == "minibatch":
            trials.setdefault(trial.candidate, trial)
    batch = set(step["batch_ids"])
    for candidate in hashes:
        assert set(trials[candidate].example_scores) == batch
    # the rollouts really answer differently (the scripted LM depends on the rollout)
    rows = [trials[h].example_scores for h in hashes]
    assert rows[0] != rows[1] and rows[1] != rows[2]


def test_a_variant_loads_back_as_its_plain_program():
    program = dspy.Predict("question -> answer")
    program.demos = [dspy.Example(question="q1", answer="1")]
    with dspy.context(lm=SimbaLM()):
        variant = RolloutVariant.rollout(program, 2)
    state = variant.dump_state()
    assert state["lm"]["rollout_id"] == 2 and variant.named_predictors()[0][0] == "self"
    loaded = dspy.Predict("question -> answer").load_state(state)
    assert loaded.dump_state() == program.dump_state()


def _trial(rows):
    return SimpleNamespace(rows=[{"example_id": k, "score": v} for k, v in rows.items()])


def test_spread_orders_examples_by_max_minus_min_then_max_then_gap_to_the_mean():
    trials = [
        _trial({"a": 1.0, "b": 0.5, "c": 1.0, "d": 0.0, "e": 1.0}),
        _trial({"a": 1.0, "b": 0.0, "c": 0.0, "d": 0.0, "e": 0.0}),
        _trial({"a": 1.0, "b": 1.0, "c": 1.0, "d": 0.0, "e": 0.0}),
    ]
    buckets = buckets_by_spread(["a", "b", "c", "d", "e"], trials)
    # b, c, e: spread 1 and max 1; e has the lowest mean (largest max - mean) -> first
    assert [b.example_id for b in buckets] == ["e", "b", "c", "a", "d"]
    assert [b.to_dict()["min"] for b in buckets][:3] == [0.0, 0.0, 0.0]
    assert buckets[0].best()[0] == 0 and buckets[0].worst()[0] in (1, 2)
    assert percentile([0, 1, 1, 1], 10) == pytest.approx(0.3)


def test_demo_strategy_adds_the_best_variants_trajectory_and_keeps_max_demos():
    row = {
        "score": 1.0, "error": None,
        "trace": [{"predictor": "self", "inputs": {"question": "q" + "9" * 50},
                   "outputs": {"answer": "9"}}],
    }  # fmt: skip
    program = dspy.Predict("question -> answer")
    program.demos = [dspy.Example(question="old1", answer="1"),
                     dspy.Example(question="old2", answer="2")]  # fmt: skip
    added = append_demo(program, row, "ex1", max_demos=2, maxlen=10)
    assert [a.strategy for a in added] == ["demo"]
    assert [d.question for d in program.demos] == ["old2", "q999999999 … (truncated)"]
    assert program.demos[-1].answer == "9" and program.demos[-1].augmented is True
    assert append_demo(program, row, "ex1", 2, 10) == "already a demo"
    assert append_demo(program, {**row, "error": "boom"}, "ex1", 2, 10) == "no usable trajectory"

    result = run_simba(max_demos=1, seed=1).result
    demos = [a for s in events(result, "simba_step") for a in s["added"] if a["strategy"] == "demo"]
    assert demos, "no demo was added"
    by_hash = {c.hash: c for c in result.candidates}
    rows = {(t.candidate, r["example_id"]): r for t in result.trials for r in t.rows}
    for step in events(result, "simba_step"):
        for added in (a for a in step["added"] if a["strategy"] == "demo"):
            best = next(s for s in step["spread"] if s["example_id"] == added["from_example"])
            variant = next(
                v for v in step["variants"]
                if rows[(v["candidate"], added["from_example"])]["score"] == best["max"]
            )  # fmt: skip
            trace_row = rows[(variant["candidate"], added["from_example"])]
            assert added["demo"] == trajectory_demos(trace_row, 100_000)["self"]
            assert len(by_hash[added["candidate"]].state["demos"]) <= 1


def test_rule_strategy_asks_the_proposer_and_appends_a_cleaned_rule():
    lm = SimbaLM(rules=[f"**{GOOD_RULE}**"])
    result = run_simba(lm, max_demos=0).result
    assert result.actual_calls()["proposer"] == len(rule_calls(lm)) > 0
    steps = events(result, "simba_step")
    rules = [a for s in steps for a in s["added"]]
    assert rules and all(a["strategy"] == "rule" and a["text"] == GOOD_RULE for a in rules)
    by_hash = {c.hash: c for c in result.candidates}
    changed = instructions_of(by_hash[rules[0]["candidate"]].state)
    assert changed.endswith("\n\n" + GOOD_RULE)
    prompt = rule_calls(lm)[0]["messages"][-1]["content"]
    assert "The better run (score 1.00)" in prompt and "The worse run (score 0.00)" in prompt
    assert result.best_score == 1.0 > result.baseline_score


def test_junk_rules_are_dropped_counted_and_never_applied():
    # the last one is SmolLM2-135M's actual reply: commentary rather than a rule
    commentary = "The better run (score 1.00) is a good example of a step that can be made to act."
    lm = SimbaLM(rules=["", "ok", "[[ ## answer ## ]]\n3", "Write one rule for step", commentary])
    result = run_simba(lm, max_demos=0).result
    assert result.status == "finished"
    summary = result.details["rules"]
    assert summary["proposed"] == len(rule_calls(lm)) > 0 and summary["kept"] == 0
    assert sum(summary["dropped"].values()) == summary["proposed"]
    steps = events(result, "simba_step")
    assert all(not s["added"] for s in steps)
    assert sum(sum(s["rules"]["dropped"].values()) for s in steps) == summary["proposed"]
    assert any("rule dropped" in r for s in steps for k in s["skipped"] for r in k["reasons"])
    student = instructions_of(dspy.Predict("question -> answer").dump_state())
    assert all(instructions_of(c.state) == student for c in result.candidates)


def test_one_event_per_step_says_what_it_added():
    result = run_simba(lm=SimbaLM(rules=[NEUTRAL_RULE]), max_steps=4).result
    steps = events(result, "simba_step")
    assert [s["step"] for s in steps] == [1, 2, 3, 4] and all(s["steps"] == 4 for s in steps)
    phases = [p["detail"] for p in events(result, "phase") if p["name"] == "searching"]
    assert [d.split(":")[0] for d in phases] == [f"step {k} of 4" for k in range(1, 5)]
    known = {c.hash for c in result.candidates}
    for step in steps:
        assert len(step["batch_ids"]) == SMALL["bsize"] == len(step["spread"])
        assert {a["strategy"] for a in step["added"]} <= {"demo", "rule"}
        for added in step["added"]:
            assert added["candidate"] in known and added["candidate"] in step["scores"]
            assert ("text" in added) == (added["strategy"] == "rule")
            assert ("demo" in added) == (added["strategy"] == "demo")
        assert step["kept"] and step["kept"][0]["score"] >= step["kept"][-1]["score"]
    assert len(result.details["steps"]) == 4


def test_estimate_is_within_20_percent_of_the_calls_made():
    lm = SimbaLM(rules=NEUTRAL_RULES)
    result = run_simba(lm, train=20, val=10, max_steps=4).result
    for role, pair in result.estimate_vs_actual().items():
        assert abs(pair["estimate"] - pair["actual"]) <= 0.2 * pair["actual"], (role, pair)
    assert abs(result.estimate.trials - len(result.trials)) <= 0.2 * len(result.trials)


def test_a_budget_stop_ends_the_run_cleanly():
    run = RunContext(seed=0, budget=Budget(max_calls=30))
    compiled = run_simba(run=run)
    result = compiled.result
    assert result.status == "stopped: budget"
    assert result.actual_calls()["task"] <= 30
    assert events(result, "run_finished")[0]["status"] == "stopped: budget"
    assert compiled.signature.instructions  # a usable program (the student) comes back


def test_never_worse_than_the_student_on_the_final_set():
    harmful = "If the question names a number, then never answer with that number."
    result = run_simba(SimbaLM(rules=[harmful]), max_demos=0).result
    assert result.details["rules"]["kept"] > 0  # rules were applied, and they hurt
    assert result.best_score == result.baseline_score
    student = dspy.Predict("question -> answer")
    with dspy.context(lm=SimbaLM()):
        compiled = SIMBA(metric=exact, **{**SMALL, "max_demos": 0}).compile(
            student, trainset=qa(12)
        )
    assert compiled.result.best_score >= compiled.result.baseline_score
    finals = [t for t in result.trials if t.subset == "val"]
    assert all(t.score <= result.best_score for t in finals)


def test_a_resumed_run_replays_its_steps_without_new_trials_or_events():
    first = run_simba(lm=SimbaLM(rules=[NEUTRAL_RULE])).result
    rows = {(t.candidate, r["example_id"]): r for t in first.trials for r in t.rows}
    steps = known_steps([e.to_dict() for e in first.events])  # what the worker reads back
    run = RunContext(seed=0, known_trials=list(first.trials), known_results=rows,
                     known_steps=steps)  # fmt: skip
    again = run_simba(lm=SimbaLM(rules=[NEUTRAL_RULE]), run=run).result
    assert again.best_candidate == first.best_candidate
    assert not events(again, "trial") and not events(again, "simba_step")
    assert again.actual_calls().get("task", 0) == 0
