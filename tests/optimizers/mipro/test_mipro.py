"""MIPROv2 on the scripted LM: stages, Optuna parameters, minibatch + full evaluation,
seeded reproducibility, zero-shot mode, budget, the study on disk, and bad settings."""

import optuna
import pytest
from instruction_lms import exact, instruction_sensitive, qa

import engine as dspy
from engine.core._errors import LMConfigError
from engine.optimizers import Budget, MIPROv2, RunContext
from engine.optimizers.mipro._plan import resolve_plan, trials_for
from engine.optimizers.proposing._search_space import latest_proposals, locate

GOOD = "Answer the question carefully."
PROPOSALS = [GOOD, "Be brief and polite, always.", "Reply with the number only.", ""]


def run_mipro(lm=None, *, run=None, val=30, **compile_kwargs):
    lm = lm or instruction_sensitive(PROPOSALS)
    settings = {
        "num_trials": 6, "minibatch_size": 10, "minibatch_full_eval_steps": 3, **compile_kwargs,
    }  # fmt: skip
    params = {"metric": exact, "auto": None, "num_candidates": 4, "max_bootstrapped_demos": 2,
              "max_labeled_demos": 2}  # fmt: skip
    for key in ("auto", "num_candidates", "max_bootstrapped_demos", "max_labeled_demos"):
        if key in settings:
            params[key] = settings.pop(key)
    with dspy.context(lm=lm):
        return MIPROv2(**params).compile(
            dspy.Predict("question -> answer"),
            trainset=qa(10),
            valset=qa(val, start=100),
            run=run or RunContext(seed=0),
            **settings,
        )


def events(result, kind):
    return [e.data for e in result.events if e.type == kind]


def test_three_stages_and_the_best_full_score_wins():
    compiled = run_mipro()
    result = compiled.result
    phases = [p["name"] for p in events(result, "phase")]
    stages = [n for i, n in enumerate(phases) if i == 0 or n != phases[i - 1]]
    assert stages == ["baseline", "bootstrapping demos", "proposing instructions", "searching"]
    minibatch = [t for t in result.trials if t.subset == "minibatch"]
    full = [t for t in result.trials if t.subset == "val"]
    assert len(minibatch) == 6 and all(t.n == 10 for t in minibatch)
    assert all(t.n == 30 for t in full) and len(full) >= 2  # baseline + full evaluations
    assert compiled.signature.instructions == GOOD
    assert result.best_score == max(t.score for t in full) == 1.0
    assert result.baseline_score < result.best_score


def test_original_instruction_is_candidate_zero_and_proposals_are_cleaned():
    result = run_mipro().result
    (offered,) = events(result, "proposals")
    texts = [i["text"] for i in offered["instructions"]]
    assert texts[0] == dspy.Predict("question -> answer").signature.instructions
    assert texts[1:] == [GOOD, "Be brief and polite, always.", "Reply with the number only."]
    assert offered["cleaning"] == {
        "proposed": 3, "kept": 3, "capped": 0, "dropped": {}, "draws": 3, "templates": 0
    }  # fmt: skip
    assert [d["origin"].split(" (")[0] for d in offered["demo_sets"]][:2] == [
        "zero-shot", "labeled demos only"]  # fmt: skip
    # every candidate of the search maps back to (instruction, demo set)
    proposals = latest_proposals([{"type": "proposals", "data": offered}])
    for candidate in result.candidates:
        instruction, demo_set = locate(candidate.state, proposals)["self"]
        assert instruction is not None and demo_set is not None


def test_optuna_parameters_are_categorical_per_predictor(tmp_path):
    run = RunContext(seed=0, workdir=tmp_path)
    run_mipro(run=run)
    study = optuna.load_study(study_name="mipro", storage=f"sqlite:///{tmp_path / 'optuna.db'}")
    kinds = [t.user_attrs["kind"] for t in study.trials]
    assert kinds.count("search") == 6 and kinds[0] == "default" and "full" in kinds
    for trial in study.trials:
        assert set(trial.params) == {"0_predictor_instruction", "0_predictor_demos"}
        dist = trial.distributions["0_predictor_instruction"]
        assert isinstance(dist, optuna.distributions.CategoricalDistribution)
        assert list(dist.choices) == [0, 1, 2, 3]


def test_same_seed_same_trials_and_result_other_seed_differs():
    def sequence(seed):
        result = run_mipro(run=RunContext(seed=seed)).result
        return [(t.subset, t.candidate, t.score) for t in result.trials], result.best_candidate

    first = sequence(0)
    assert first == sequence(0)
    assert sequence(5)[0] != first[0]


def test_zero_shot_mode_tunes_instructions_only():
    result = run_mipro(max_bootstrapped_demos=0, max_labeled_demos=0).result
    assert all(not d for c in result.candidates for d in [c.state["demos"]])
    (offered,) = events(result, "proposals")
    assert offered["demo_sets"] == []
    assert result.best_score == 1.0


def test_without_minibatch_every_trial_is_a_full_evaluation():
    result = run_mipro(minibatch=False).result
    assert {t.subset for t in result.trials} == {"val"}
    assert result.best_score == 1.0


def test_auto_light_settings_follow_dspy():
    plan = resolve_plan(
        auto="light", num_candidates=None, num_trials=None, max_bootstrapped_demos=4,
        max_labeled_demos=4, minibatch=True, minibatch_size=35, minibatch_full_eval_steps=5,
        n_predictors=1, trainset_size=100, valset_size=200,
    )  # fmt: skip
    assert (plan.n_instructions, plan.n_demo_sets, plan.num_trials) == (3, 6, 10)
    assert plan.valset_size == 100 and plan.minibatch
    assert trials_for(1, True, 6) == 9 and trials_for(1, False, 12) == 18
    assert trials_for(1, False, 18) == 27


def test_small_valset_under_auto_scores_every_trial_fully():
    compiled = run_mipro(auto="light", num_candidates=None, num_trials=None, val=20)
    assert {t.subset for t in compiled.result.trials} == {"val"}
    assert any("every trial is scored on all of them" in e["message"]
               for e in events(compiled.result, "log"))  # fmt: skip


def test_budget_stops_the_search_cleanly_with_the_best_so_far():
    run = RunContext(seed=0, budget=Budget(max_calls=60))
    compiled = run_mipro(run=run)
    assert compiled.result.status == "stopped: budget"
    assert compiled.result.usage["calls"] <= 60


def test_estimate_has_task_calls_within_twenty_percent_and_caps_the_proposers():
    compiled = run_mipro()
    pairs = compiled.result.estimate_vs_actual()
    task = pairs["task"]
    assert abs(task["estimate"] - task["actual"]) <= 0.2 * task["actual"], task
    # 1 summary call, then at most 3 draws for each of the 3 new instructions; all 3 kept
    assert pairs["proposer"] == {"estimate": 1 + 3 * 3, "actual": 1 + 3}


@pytest.mark.parametrize(
    ("params", "compile_kwargs", "message"),
    [
        ({"auto": "light", "num_candidates": 6}, {"num_trials": None}, "sets num_candidates"),
        ({"auto": None, "num_candidates": 6}, {"num_trials": None}, "give both"),
        ({}, {"minibatch_size": 50}, "larger than the validation set"),
    ],
)
def test_bad_settings_fail_before_any_lm_call(params, compile_kwargs, message):
    lm = instruction_sensitive(PROPOSALS)
    with pytest.raises(ValueError, match=message):
        run_mipro(lm, **{**params, **compile_kwargs})
    assert lm.calls_made == 0


def test_unknown_proposer_model_fails_before_any_lm_call():
    lm = instruction_sensitive(PROPOSALS)
    bad = dspy.LM("local/no-such-model")
    with dspy.context(lm=lm), pytest.raises(LMConfigError, match="no-such-model"):
        MIPROv2(metric=exact, prompt_model=bad).compile(
            dspy.Predict("question -> answer"), trainset=qa(10), valset=qa(20, start=50)
        )
    assert lm.calls_made == 0


def test_proposer_model_is_separate_and_counted_as_proposer():
    task = instruction_sensitive(PROPOSALS, name="task")
    proposer = instruction_sensitive(PROPOSALS, name="proposer")
    with dspy.context(lm=task):
        compiled = MIPROv2(
            metric=exact, prompt_model=proposer, auto=None, num_candidates=3
        ).compile(
            dspy.Predict("question -> answer"), trainset=qa(10), valset=qa(20, start=50),
            num_trials=3, minibatch=False,
        )  # fmt: skip
    by_role = compiled.result.usage["by_role"]
    assert by_role["proposer"]["calls"] == proposer.calls_made == 3  # a summary, 2 proposals
    assert task.calls_made == by_role["task"]["calls"]
