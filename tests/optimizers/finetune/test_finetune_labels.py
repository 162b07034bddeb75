"""BootstrapFinetune's `train_on`: rows from the labelled training rows themselves (the adapter's
prompt, the gold answer as the reply), alone or beside the teacher's passing traces; what it
refuses before any call, what the estimate counts, and the spec parameter both weight
optimizers declare (BetterTogether's `p -> w` teaching: tests/optimizers/together/)."""

from __future__ import annotations

import pytest
from test_finetune import RecordingTrainer, TwoSteps, echo, exact, qa, two_step_lm, wrong

import engine as dspy
from engine.cli._estimate import training_line
from engine.lm import ScriptedLM
from engine.lm.scripted import input_fields
from engine.optimizers import registry
from engine.optimizers.finetune import BootstrapFinetune, label_rows


def compile_with(lm, train_on, trainset, student=None, **kw):
    trainer = RecordingTrainer()
    student = student or dspy.Predict("question -> answer")
    optimizer = BootstrapFinetune(metric=exact, trainer=trainer, train_on=train_on, **kw)
    with dspy.context(lm=lm):
        tuned = optimizer.compile(student, trainset=trainset, valset=[])  # no check
    return tuned, trainer


def logs(program):
    return [e.data["message"] for e in program.result.events if e.type == "log"]


def test_label_rows_are_the_rows_a_right_teacher_would_have_made_and_need_no_call():
    _, right = compile_with(ScriptedLM(by_input=lambda m: {"answer": input_fields(
        m[-1]["content"])["question"][1:]}), "traces", qa(6))  # fmt: skip
    lm = ScriptedLM(by_input=wrong)  # a base model that never answers right
    tuned, labelled = compile_with(lm, "labels", qa(6))
    assert lm.calls_made == 0  # no teacher runs: the rows are the data's own answers
    assert labelled.jobs[0][1] == right.jobs[0][1]  # the same chats, message for message
    assert tuned.lm.model == "scripted/tuned-1"
    assert "training rows: 0 from the teacher's passing answers, 6 from the training rows' own " \
        "answers; 6 in all" in logs(tuned)


def test_traces_alone_from_a_teacher_that_is_never_right_are_refused():
    with pytest.raises(ValueError, match="Only 0 of 6 training rows passed"):
        compile_with(ScriptedLM(by_input=wrong), "traces", qa(6))


def test_both_adds_the_labels_the_teacher_missed_and_keeps_a_repeat_once():
    lm = ScriptedLM(by_input=echo)  # right on every row but q7 and q9
    tuned, trainer = compile_with(lm, "both", qa(10))
    rows = trainer.jobs[0][1]
    assert lm.calls_made == 10 and len(rows) == 10
    replies = {input_fields(r[-2]["content"])["question"]: r[-1]["content"] for r in rows}
    assert "x" not in replies["q7"] and "7" in replies["q7"]  # the gold answer, not the teacher's
    assert ("training rows: 8 from the teacher's passing answers, 10 from the training rows' own "
            "answers (8 of them the same as a teacher's row, kept once); 10 in all"
            ) in logs(tuned)  # fmt: skip


def test_max_rows_caps_the_label_rows_too():
    _, trainer = compile_with(ScriptedLM(by_input=wrong), "labels", qa(10), max_rows=4)
    assert len(trainer.jobs[0][1]) == 4


def test_a_multi_step_program_learns_only_the_steps_its_data_labels():
    trainset = qa(4)  # question -> answer labelled; the check step's verdict is not
    tuned, trainer = compile_with(ScriptedLM(by_input=two_step_lm), "labels", trainset,
                                  student=TwoSteps())  # fmt: skip
    rows = trainer.jobs[0][1]
    assert len(rows) == 4 and all("verdict" not in r[-1]["content"] for r in rows)
    with dspy.context(lm=ScriptedLM(by_input=two_step_lm)):
        made = label_rows(TwoSteps(), trainset)
    assert {r.predictor for r in made} == {"draft"} and {r.source for r in made} == {"label"}
    verdicts = [e.copy(verdict="ok") for e in trainset]  # now both steps are labelled
    with dspy.context(lm=ScriptedLM(by_input=two_step_lm)):
        made = label_rows(TwoSteps(), verdicts)
    assert [r.predictor for r in made[:2]] == ["draft", "check"] and len(made) == 8
    assert "ok" in made[1].messages[-1]["content"]
    assert tuned.draft.lm.model == tuned.check.lm.model == "scripted/tuned-1"  # multitask


def test_a_program_with_no_labelled_step_is_refused_before_any_call():
    lm = ScriptedLM(by_input=echo)
    cot = dspy.ChainOfThought("question -> answer")  # its reasoning is in no training row
    with dspy.context(lm=lm), pytest.raises(ValueError) as error:
        BootstrapFinetune(metric=exact, trainer=RecordingTrainer(), train_on="labels").compile(
            cot, trainset=qa(5), valset=[]
        )
    message = str(error.value)
    assert "train_on='labels' trains on the training rows' own answers" in message
    assert "'reasoning' (missing in 5 of 5 rows)" in message and "train_on='traces'" in message
    assert lm.calls_made == 0
    partly = qa(4) + [dspy.Example(question="q4").with_inputs("question")]
    problems = BootstrapFinetune(metric=exact, trainer=RecordingTrainer(),
                                 train_on="both").check_settings(
        partly, student=dspy.Predict("question -> answer"))  # fmt: skip
    assert "'answer' (missing in 1 of 5 rows)" in problems[0]
    with pytest.raises(ValueError, match="train_on must be one of 'traces', 'labels', 'both'"):
        BootstrapFinetune(train_on="gold")


def test_label_rows_over_the_window_are_named_before_any_call():
    lm = ScriptedLM(by_input=wrong)
    long = dspy.Example(question="q3", answer="3 " + "long " * 200).with_inputs("question")
    optimizer = BootstrapFinetune(metric=exact, trainer=RecordingTrainer(context=150),
                                  train_on="labels")  # fmt: skip
    with dspy.context(lm=lm), pytest.raises(ValueError) as error:
        optimizer.compile(dspy.Predict("question -> answer"), trainset=[*qa(3), long], valset=[])
    assert "1 training rows are longer than the trainer's 150-token window: row 4 (" in str(
        error.value
    )
    assert lm.calls_made == 0
    optimizer.train_on = "traces"  # the gold answer is not known to the traces' check
    student = dspy.Predict("question -> answer")
    assert optimizer.check_settings([*qa(3), long], student=student) == []


def test_the_estimate_counts_the_label_rows_and_no_teacher_calls():
    traces = BootstrapFinetune(metric=exact, trainer=RecordingTrainer())
    labels = BootstrapFinetune(metric=exact, trainer=RecordingTrainer(), train_on="labels")
    both = BootstrapFinetune(metric=exact, trainer=RecordingTrainer(), train_on="both")
    plain = [o.estimate(qa(10), [], student=TwoSteps()) for o in (traces, labels, both)]
    assert [e.calls["task"] for e in plain] == [20, 0, 20]
    assert [e.training["rows_from"] for e in plain] == [
        {"traces": 20, "labels": 0}, {"traces": 0, "labels": 10}, {"traces": 20, "labels": 10}
    ]  # TwoSteps: two calls a row; one step (draft) labelled
    assert [e.training["rows"] for e in plain] == [20, 10, 30]
    tokens = [e.training["tokens"] for e in plain]
    assert tokens[2] == tokens[0] + tokens[1] and tokens[1] > 0
    assert plain[2].training["minutes"] >= plain[0].training["minutes"]
    assert plain[2].training["steps"] >= plain[0].training["steps"]
    assert "10 from the training labels" in training_line(plain[2].training)
    assert "(the training labels)" in training_line(plain[1].training)
    assert "(those the metric passes)" in training_line(plain[0].training)


def test_the_spec_parameter_is_declared_and_checked():
    for name in ("bootstrap_finetune", "better_together"):
        entry = registry.get(name)
        param = entry.param("train_on")
        assert param.label and [v for v, _ in param.choices] == ["traces", "labels", "both"]
        assert entry.check_params({"train_on": "labels"}) == []
        assert entry.check_params({"train_on": "gold"}) == [
            "train_on must be one of 'traces', 'labels', 'both', not 'gold'"
        ]
    assert registry.get("finetune").factory(exact, train_on="labels").train_on == "labels"
    together = registry.get("better_together").factory(exact, train_on="both")
    assert together.optimizers["w"].train_on == "both"
