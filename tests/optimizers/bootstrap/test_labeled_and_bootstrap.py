"""LabeledFewShot and BootstrapFewShot with scripted LMs."""

import random
import time

import pytest

import engine as dspy
from engine.lm import ScriptedLM
from engine.lm.scripted import input_fields
from engine.optimizers import BootstrapFewShot, Budget, LabeledFewShot, RunContext


def qa(n, start=0):
    return [
        dspy.Example(question=f"q{i}", answer=str(i)).with_inputs("question")
        for i in range(start, start + n)
    ]


def exact(example, prediction, trace=None):
    return example.answer == prediction.answer


def echo(messages):
    """Answers q<i> with i (q7 and q9 wrongly)."""
    number = input_fields(messages[-1]["content"])["question"][1:]
    return {"answer": "x" if number in ("7", "9") else number}


def user_questions(messages):
    return [input_fields(m["content"]).get("question") for m in messages if m["role"] == "user"]


# -- LabeledFewShot --------------------------------------------------------------------------
def test_labeled_fewshot_samples_k_demos_with_no_lm_calls():
    lm = ScriptedLM(by_input=echo)
    student = dspy.Predict("question -> answer")
    with dspy.context(lm=lm):
        compiled = LabeledFewShot(k=4).compile(student, trainset=qa(10))
    assert lm.calls_made == 0 and student.demos == []
    assert len(compiled.demos) == 4 and all(d in qa(10) for d in compiled.demos)
    assert compiled.result.status == "finished" and compiled.result.trials == []
    assert compiled.result.best_score is None and compiled.result.estimate.calls == {"task": 0}
    assert len(compiled.result.candidates) == 1


def test_labeled_fewshot_is_seeded():
    def demos(seed, sample=True):
        run = RunContext(seed=seed)
        return [
            d.question
            for d in LabeledFewShot(k=5)
            .compile(dspy.Predict("question -> answer"), trainset=qa(20), run=run, sample=sample)
            .demos
        ]

    assert demos(0) == demos(0)
    assert demos(0) != demos(1)
    assert demos(3, sample=False) == ["q0", "q1", "q2", "q3", "q4"]
    assert (
        len(LabeledFewShot(k=50).compile(dspy.Predict("question -> answer"), trainset=qa(3)).demos)
        == 3
    )


def test_labeled_fewshot_draws_dspys_demos_at_the_default_seed():
    import dspy as real_dspy

    train = qa(20)
    ours = LabeledFewShot(k=5).compile(dspy.Predict("question -> answer"), trainset=train)
    peers = [real_dspy.Example(**dict(e.items())).with_inputs("question") for e in train]
    theirs = real_dspy.LabeledFewShot(k=5).compile(
        real_dspy.Predict("question -> answer"), trainset=peers
    )
    assert [d.question for d in ours.demos] == [d.question for d in theirs.demos]


def test_bootstrap_fills_up_with_dspys_labeled_demos_at_the_default_seed():
    import dspy as real_dspy

    train = qa(12)
    ours = BootstrapFewShot(metric=exact, max_bootstrapped_demos=0, max_labeled_demos=4).compile(
        dspy.Predict("question -> answer"), trainset=train
    )
    peers = [real_dspy.Example(**dict(e.items())).with_inputs("question") for e in train]
    theirs = real_dspy.BootstrapFewShot(
        metric=exact, max_bootstrapped_demos=0, max_labeled_demos=4
    ).compile(real_dspy.Predict("question -> answer"), trainset=peers)
    assert [d.question for d in ours.demos] == [d.question for d in theirs.demos]


def test_labeled_fewshot_with_a_metric_scores_baseline_and_compiled():
    lm = ScriptedLM(by_input=echo)
    with dspy.context(lm=lm):
        compiled = LabeledFewShot(k=2, metric=exact).compile(
            dspy.Predict("question -> answer"), trainset=qa(5), valset=qa(10)
        )
    result = compiled.result
    assert lm.calls_made == 20 == result.estimate.calls["task"]
    assert result.baseline_score == 0.8 and result.best_score == 0.8 and len(result.trials) == 2


# -- BootstrapFewShot ------------------------------------------------------------------------
def test_teacher_never_sees_the_example_as_its_own_demo():
    seen = []

    def answer(messages):
        seen.append(user_questions(messages))
        return echo(messages)

    teacher_lm = ScriptedLM(by_input=answer)
    with dspy.context(lm=ScriptedLM(by_input=echo)):
        BootstrapFewShot(
            metric=exact,
            teacher_settings={"lm": teacher_lm},
            max_bootstrapped_demos=3,
            max_labeled_demos=8,
        ).compile(dspy.Predict("question -> answer"), trainset=qa(8))
    assert len(seen) == 3
    for questions in seen:
        # the 8 labeled demos minus the example itself, then the example as the input
        assert len(questions) == 8 and questions[-1] not in questions[:-1]


def test_bootstrapped_demos_are_augmented_and_filled_with_labeled():
    lm = ScriptedLM(by_input=echo)
    train = qa(12)
    with dspy.context(lm=lm):
        compiled = BootstrapFewShot(
            metric=exact, max_bootstrapped_demos=3, max_labeled_demos=6
        ).compile(dspy.Predict("question -> answer"), trainset=train)
    augmented = [d for d in compiled.demos if d.get("augmented")]
    labeled = [d for d in compiled.demos if not d.get("augmented")]
    assert [d.question for d in augmented] == ["q0", "q1", "q2"]  # first successes, in order
    assert all(d.answer == d.question[1:] for d in augmented)
    assert len(labeled) == 3 and not {d.question for d in labeled} & {"q0", "q1", "q2"}
    assert all(d in train for d in labeled)
    phases = [e.data["name"] for e in compiled.result.events if e.type == "phase"]
    assert phases == ["bootstrapping demos"]  # no valset given: DSPy's work only
    boot = next(e for e in compiled.result.events if e.data.get("name") == "bootstrapping demos")
    assert "role task" in boot.data["detail"]
    assert compiled.result.trials == [] and compiled.result.baseline_score is None
    assert lm.calls_made == 3  # the three successful teacher runs, nothing else
    origins = [c.origin for c in compiled.result.candidates]
    assert "bootstrap (3 bootstrapped + 3 labeled demos)" in origins  # counts, not the bounds

    with dspy.context(lm=ScriptedLM(by_input=echo)):
        scored = BootstrapFewShot(
            metric=exact, max_bootstrapped_demos=3, max_labeled_demos=6
        ).compile(dspy.Predict("question -> answer"), trainset=train, valset=qa(4))
    phases = [e.data["name"] for e in scored.result.events if e.type == "phase"]
    assert phases == ["baseline", "bootstrapping demos", "evaluating candidates"]


def test_rejected_runs_are_not_demos_and_threshold_applies():
    lm = ScriptedLM(by_input=echo)
    train = [qa(10)[7], qa(10)[9], *qa(3)]  # q7, q9 fail, then q0..q2 succeed
    with dspy.context(lm=lm):
        compiled = BootstrapFewShot(
            metric=exact, max_bootstrapped_demos=2, max_labeled_demos=2
        ).compile(dspy.Predict("question -> answer"), trainset=train, valset=qa(2))
    assert [d.question for d in compiled.demos] == ["q0", "q1"]

    def graded(example, prediction, trace=None):
        return 0.5 if example.answer == prediction.answer else 0.0

    with dspy.context(lm=ScriptedLM(by_input=echo)):
        strict = BootstrapFewShot(metric=graded, metric_threshold=0.9, max_labeled_demos=0).compile(
            dspy.Predict("question -> answer"), trainset=qa(4), valset=qa(2)
        )
        lenient = BootstrapFewShot(
            metric=graded, metric_threshold=0.5, max_labeled_demos=0
        ).compile(dspy.Predict("question -> answer"), trainset=qa(4), valset=qa(2))
    assert strict.demos == [] and len(lenient.demos) == 4


def test_later_rounds_use_temperature_one_and_a_rollout_id():
    class Recording(ScriptedLM):
        def _complete(self, messages, params):
            calls.append((user_questions(messages)[-1], params.get("temperature"), self.rollout_id))
            return super()._complete(messages, params)

    calls = []

    def flaky(messages):  # q1 fails on the first round only
        hot = any(t == 1.0 for q, t, r in calls[-1:])
        question = user_questions(messages)[-1]
        return {"answer": "x" if question == "q1" and not hot else question[1:]}

    lm = Recording(by_input=flaky, temperature=0.0)
    with dspy.context(lm=lm, num_threads=1):
        compiled = BootstrapFewShot(
            metric=exact, max_bootstrapped_demos=2, max_labeled_demos=0, max_rounds=3
        ).compile(
            dspy.Predict("question -> answer"), trainset=qa(2, start=1), valset=qa(1, start=5)
        )
    assert calls[0][0] == "q5"  # the baseline
    assert calls[1:4] == [("q1", 0.0, None), ("q1", 1.0, 1), ("q2", 0.0, None)]
    assert [d.question for d in compiled.demos] == ["q1", "q2"]


def test_multi_step_programs_get_demos_for_every_predictor():
    class TwoStep(dspy.Module):
        def __init__(self):
            self.draft = dspy.Predict("question -> draft")
            self.final = dspy.Predict("question, draft -> answer")

        def forward(self, question):
            draft = self.draft(question=question).draft
            return self.final(question=question, draft=draft)

    def answer(messages):
        fields = input_fields(messages[-1]["content"])
        if "draft" in fields:
            return {"answer": fields["question"][1:]}
        return {"draft": "d-" + fields["question"]}

    with dspy.context(lm=ScriptedLM(by_input=answer)):
        compiled = BootstrapFewShot(
            metric=exact, max_bootstrapped_demos=2, max_labeled_demos=2
        ).compile(TwoStep(), trainset=qa(5))
    assert [d.draft for d in compiled.draft.demos] == ["d-q0", "d-q1"]
    assert [(d.draft, d.answer) for d in compiled.final.demos] == [("d-q0", "0"), ("d-q1", "1")]
    assert all(d.augmented for d in compiled.final.demos)


def test_bootstrapping_does_not_depend_on_thread_timing():
    def jittery(messages):
        time.sleep(random.random() / 200)
        question = user_questions(messages)[-1]
        return {"answer": question[1:] if int(question[1:]) % 3 else "x"}

    def compile_with(threads):
        with dspy.context(lm=ScriptedLM(by_input=jittery), num_threads=threads):
            return (
                BootstrapFewShot(metric=exact, max_bootstrapped_demos=4, max_labeled_demos=6)
                .compile(dspy.Predict("question -> answer"), trainset=qa(15))
                .dump_state()
            )

    assert compile_with(1) == compile_with(4) == compile_with(4)


def test_teacher_settings_route_teacher_calls_to_another_lm():
    student_lm, teacher_lm = (
        ScriptedLM(by_input=echo, name="student"),
        ScriptedLM(by_input=echo, name="teacher"),
    )
    with dspy.context(lm=student_lm):
        BootstrapFewShot(
            metric=exact, teacher_settings={"lm": teacher_lm}, max_bootstrapped_demos=2
        ).compile(dspy.Predict("question -> answer"), trainset=qa(6), valset=qa(3))
    assert teacher_lm.calls_made == 2 and student_lm.calls_made == 6


def test_without_metric_every_run_is_kept_and_nothing_is_scored():
    lm = ScriptedLM(by_input=echo)
    with dspy.context(lm=lm):
        compiled = BootstrapFewShot(max_bootstrapped_demos=2, max_labeled_demos=2).compile(
            dspy.Predict("question -> answer"), trainset=[qa(10)[7], *qa(3)]
        )
    assert [d.question for d in compiled.demos] == ["q7", "q0"]
    assert lm.calls_made == 2 and compiled.result.trials == []


def test_explicit_teacher_and_structure_check():
    teacher = dspy.Predict("question -> answer")
    teacher.demos = [dspy.Example(question="q100", answer="100")]
    with dspy.context(lm=ScriptedLM(by_input=echo)):
        compiled = BootstrapFewShot(
            metric=exact, max_bootstrapped_demos=1, max_labeled_demos=1
        ).compile(dspy.Predict("question -> answer"), trainset=qa(3), teacher=teacher)
        assert [d.question for d in compiled.demos] == ["q0"]
        with pytest.raises(ValueError, match="structure"):
            BootstrapFewShot(metric=exact).compile(
                dspy.Predict("question -> answer"),
                trainset=qa(3),
                teacher=dspy.ChainOfThought("question -> answer"),
            )


def test_budget_exhausted_while_bootstrapping_returns_the_student():
    lm = ScriptedLM(by_input=echo)
    student = dspy.Predict("question -> answer")
    with dspy.context(lm=lm):
        compiled = BootstrapFewShot(metric=exact).compile(
            student, trainset=qa(10), valset=qa(4), run=RunContext(budget=Budget(max_calls=6))
        )
    assert compiled.result.status == "stopped: budget"
    assert lm.calls_made == 6 and compiled is not student and compiled.demos == []
    assert compiled.result.baseline_score == 1.0
