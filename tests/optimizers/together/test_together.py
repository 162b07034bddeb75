"""BetterTogether with scripted LMs and the finetune tests' recording trainer: strategies, the
steps in sequence, the best on the held-out rows, refusals before any call, the estimate, and the
prompt-optimized program teaching the weights."""

from __future__ import annotations

import pytest
from test_finetune import RecordingTrainer, echo, exact, qa, wrong
from test_finetune_check import ByModel, right

import engine as dspy
from engine.lm import ScriptedLM
from engine.lm.scripted import input_fields
from engine.optimizers import LabeledFewShot
from engine.optimizers.finetune import BootstrapFinetune
from engine.optimizers.together import BetterTogether, parse_strategy


# -- the strategy's steps in sequence, the best kept -------------------------------------------
def test_strategies_parse_or_say_what_is_wrong():
    assert parse_strategy("p -> w -> p", ["p", "w"]) == ["p", "w", "p"]
    assert parse_strategy("w", ["p", "w"]) == ["w"]
    with pytest.raises(ValueError, match="empty step"):
        parse_strategy("p -> ", ["p", "w"])
    with pytest.raises(ValueError, match="names 'x'"):
        parse_strategy("p -> x", ["p", "w"])


def test_better_together_runs_the_strategy_and_keeps_the_best_on_held_out_rows():
    trainer = RecordingTrainer()
    lm = ScriptedLM(by_input=echo)
    together = BetterTogether(exact, p=LabeledFewShot(k=2),
                              w=BootstrapFinetune(trainer=trainer))  # fmt: skip
    with dspy.context(lm=lm):
        compiled = together.compile(dspy.Predict("question -> answer"), trainset=qa(20),
                                    strategy="p -> w", valset_ratio=0.25)  # fmt: skip
    assert len(trainer.jobs) == 1 and len(compiled.demos) == 2  # a tie: the last step's
    assert compiled.lm.model == "scripted/tuned-1"
    held_out = [t for t in compiled.result.trials if t.subset == "val"]
    assert [t.n for t in held_out] == [5, 5, 5]  # the student, after p, after w
    phases = [e.data["name"] for e in compiled.result.events if e.type == "phase"]
    assert phases == ["baseline", "step 1: p", "step 2: w"]
    # the w step holds no row back: its teacher's 15 rows, 13 passing (q7 and q9 fail)
    assert [len(job[1]) for job in trainer.jobs] == [13]
    # the w step's training progress reaches the whole run as it trains, before the step ends
    order = [e.type if e.type != "log" else e.data["message"][:12] for e in compiled.result.events]
    steps = [i for i, kind in enumerate(order) if kind == "training_step"]
    assert len(steps) == 3 and steps[-1] < order.index("after step 2")


def test_the_seed_documents_list_shape_runs_in_sequence():
    trainer = RecordingTrainer()
    together = BetterTogether(exact, optimizers=[LabeledFewShot(k=3),
                                                 BootstrapFinetune(trainer=trainer)])  # fmt: skip
    with dspy.context(lm=ScriptedLM(by_input=echo)):
        compiled = together.compile(dspy.Predict("question -> answer"), trainset=qa(10))
    assert len(trainer.jobs) == 1 and len(compiled.demos) == 3
    assert together.steps() == ["0", "1"]


def test_better_together_refuses_bad_shapes_before_any_call():
    lm = ScriptedLM(by_input=echo)
    with pytest.raises(ValueError, match="not both"):
        BetterTogether(exact, optimizers=[LabeledFewShot()], p=LabeledFewShot())
    with pytest.raises(TypeError, match="not an optimizer"):
        BetterTogether(exact, p="fewshot")
    finetune = BootstrapFinetune(trainer=RecordingTrainer())
    together = BetterTogether(exact, p=LabeledFewShot(), w=finetune)
    with dspy.context(lm=lm), pytest.raises(ValueError, match="names 'q'"):
        together.compile(dspy.Predict("question -> answer"), trainset=qa(10), strategy="p -> q")
    with dspy.context(lm=lm), pytest.raises(ValueError, match="optimizer_compile_args"):
        together.compile(dspy.Predict("question -> answer"), trainset=qa(10),
                         optimizer_compile_args={"z": {}})  # fmt: skip
    assert lm.calls_made == 0


def test_better_together_estimates_the_sum_of_its_steps():
    together = BetterTogether(exact, p=LabeledFewShot(k=2),
                              w=BootstrapFinetune(trainer=RecordingTrainer()))  # fmt: skip
    together.strategy = "w -> w"
    estimate = together.estimate(qa(10))  # 1 row held out: each step's teacher on 9 rows,
    assert estimate.calls == {"task": 2 * 9 + 3 * 1}  # the start and both steps on 1
    single = BootstrapFinetune(metric=exact, trainer=RecordingTrainer()).estimate(qa(9), [])
    assert estimate.training["steps"] == 2 * single.training["steps"]
    assert estimate.training["minutes"] == round(2 * single.training["minutes"], 1)


# -- BetterTogether: the prompt-optimized program teaches the weights ---------------------------
def test_p_then_w_trains_on_the_prompt_optimized_programs_answers():
    trainer = RecordingTrainer()
    lm = ScriptedLM(by_input=echo)
    together = BetterTogether(exact, p=LabeledFewShot(k=2), w=BootstrapFinetune(trainer=trainer))
    with dspy.context(lm=lm):
        together.compile(dspy.Predict("question -> answer"), trainset=qa(12), strategy="p -> w",
                         valset_ratio=0.25)  # fmt: skip
    [(_, rows, _)] = trainer.jobs
    demos = 2  # p's two demos: a user and an assistant message each, then the question
    assert all(sum(m["role"] == "user" for m in row) == demos + 1 for row in rows)
    questions = {input_fields(r[-2]["content"])["question"] for r in rows}
    teacher_calls = [h["messages"] for h in lm.history
                     if input_fields(h["messages"][-1]["content"])["question"] in questions]
    # the teacher that answered in the w step was the program after p: its demos in the prompt
    assert teacher_calls and all(sum(m["role"] == "user" for m in c) == demos + 1
                                 for c in teacher_calls[-len(rows):])  # fmt: skip


def test_w_then_p_puts_demos_on_the_model_tuned_on_the_labels():
    trainer = RecordingTrainer()
    lm = ScriptedLM(by_input=wrong)  # the base model never answers right: only labels teach
    together = BetterTogether(exact, p=LabeledFewShot(k=2),
                              w=BootstrapFinetune(trainer=trainer, train_on="labels"))  # fmt: skip
    with dspy.context(lm=lm):
        compiled = together.compile(dspy.Predict("question -> answer"), trainset=qa(12),
                                    strategy="w -> p", valset_ratio=0.25)  # fmt: skip
    [(_, rows, _)] = trainer.jobs
    assert len(rows) == 9 and all(sum(m["role"] == "user" for m in r) == 1 for r in rows)
    # a tie on the validation rows (all wrong): the last step's program, demos on the tuned model
    assert compiled.lm.model == "scripted/tuned-1" and len(compiled.demos) == 2
    phases = [e.data["name"] for e in compiled.result.events if e.type == "phase"]
    assert phases == ["baseline", "step 1: w", "step 2: p"]


def test_p_w_p_without_demos_in_training_gives_the_tuned_model_new_demos():
    trainer = RecordingTrainer()
    together = BetterTogether(exact, p=LabeledFewShot(k=2), w=BootstrapFinetune(
        trainer=trainer, train_on="labels", exclude_demos=True))  # fmt: skip
    with dspy.context(lm=ScriptedLM(by_input=wrong)):
        compiled = together.compile(dspy.Predict("question -> answer"), trainset=qa(12),
                                    strategy="p -> w -> p", valset_ratio=0.25)  # fmt: skip
    [(_, rows, _)] = trainer.jobs
    assert all(sum(m["role"] == "user" for m in r) == 1 for r in rows)  # p's demos left out
    assert compiled.lm.model == "scripted/tuned-1" and len(compiled.demos) == 2


# -- the start comes back when every step scored below it, and the run says so -----------------
def test_when_every_step_scores_below_the_start_the_start_comes_back_said():
    trainer = RecordingTrainer()
    together = BetterTogether(exact, w=BootstrapFinetune(trainer=trainer, train_on="labels"))
    with dspy.context(lm=ByModel(right, wrong)):  # the tuned model answers wrong
        compiled = together.compile(dspy.Predict("question -> answer"), trainset=qa(20),
                                    strategy="w", valset_ratio=0.25)  # fmt: skip
    assert len(trainer.jobs) == 1 and compiled.lm is None  # the student as given
    check = compiled.result.details["check"]
    assert (check["rows"], check["start_score"], check["result_score"]) == (5, 1.0, 0.0)
    assert check["kept_start"].startswith("no candidate beat the starting program")
    assert compiled.result.best_score == compiled.result.baseline_score == 1.0
    messages = [e.data["message"] for e in compiled.result.events if e.type == "log"]
    assert any(m.endswith(": kept the starting program") for m in messages)


def test_a_step_that_ties_the_start_beats_a_worse_later_one():
    together = BetterTogether(exact, p=LabeledFewShot(k=2),
                              w=BootstrapFinetune(trainer=RecordingTrainer(), train_on="labels"))
    with dspy.context(lm=ByModel(right, wrong)):
        compiled = together.compile(dspy.Predict("question -> answer"), trainset=qa(20),
                                    strategy="p -> w", valset_ratio=0.25)  # fmt: skip
    assert compiled.lm is None and len(compiled.demos) == 2  # step 1: demos, the base model
    check = compiled.result.details["check"]
    assert check["kept_start"] is None and check["result_score"] == check["start_score"] == 1.0
    assert compiled.result.best_candidate != compiled.result.trials[0].candidate
