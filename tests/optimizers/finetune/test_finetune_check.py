"""A weights run checks its tuned program against the start on rows it did not train on, and
hands back the start, saying so, when the tuned one scores lower (the keep-start rule): worse,
better and equal, on held-back training rows or the valset, and with no metric (unchecked)."""

from __future__ import annotations

import logging

from test_finetune import RecordingTrainer, exact, qa

import engine as dspy
from engine.lm import ScriptedLM
from engine.lm.scripted import input_fields, render_fields
from engine.optimizers import RunContext
from engine.optimizers.finetune import BootstrapFinetune
from engine.optimizers.finetune._check import hold_back


def right(messages):
    return {"answer": input_fields(messages[-1]["content"])["question"][1:]}


def wrong(messages):
    return {"answer": "wrong"}


def odd_wrong(messages):
    """Right on even questions only."""
    number = input_fields(messages[-1]["content"])["question"][1:]
    return {"answer": number if int(number) % 2 == 0 else "x"}


class ByModel(ScriptedLM):
    """Answers by `base` on the base model and by `tuned` on a model the trainer tuned."""

    def __init__(self, base, tuned):
        super().__init__(by_input=base)
        self.tuned = tuned

    def _answer(self, messages):
        if "tuned" in self.model:
            self._cursor.take()
            return render_fields(self.tuned(messages))
        return super()._answer(messages)


def compile_with(lm, trainset, valset=None, metric=exact, run=None, **kw):
    trainer = RecordingTrainer()
    optimizer = BootstrapFinetune(metric=metric, trainer=trainer, train_on="labels", **kw)
    with dspy.context(lm=lm):
        program = optimizer.compile(dspy.Predict("question -> answer"), trainset=trainset,
                                    valset=valset, run=run)  # fmt: skip
    return program, trainer


def trained_questions(trainer):
    return {input_fields(row[-2]["content"])["question"] for _, rows, _ in trainer.jobs
            for row in rows}  # fmt: skip


def logs(program):
    return [e.data["message"] for e in program.result.events if e.type == "log"]


def test_a_worse_tuned_model_gives_back_the_start_and_says_so(caplog):
    with caplog.at_level(logging.WARNING):
        program, trainer = compile_with(ByModel(right, wrong), qa(10))
    assert program.lm is None  # the student as given, on the configured model
    check = program.result.details["check"]
    assert (check["rows"], check["start_score"], check["result_score"]) == (2, 1.0, 0.0)
    assert check["kept_start"].startswith("no candidate beat the starting program")
    assert program.result.best_score == program.result.baseline_score == 1.0
    assert any(m.endswith(": kept the starting program") for m in logs(program))
    assert "checked on 2 validation rows it did not train on: 0% against 100%" in "".join(
        logs(program))  # fmt: skip
    warned = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert any("BootstrapFinetune hands back the program as given" in r.getMessage()
               for r in warned)  # fmt: skip
    # the 2 rows it checked on are not among the 8 it trained on
    assert len(trained_questions(trainer)) == 8


def test_a_better_tuned_model_is_handed_back():
    program, _ = compile_with(ByModel(odd_wrong, right), qa(10))
    assert program.lm.model == "scripted/tuned-1"
    check = program.result.details["check"]
    assert check["kept_start"] is None and check["result_score"] == 1.0
    assert check["result_score"] > check["start_score"]
    assert program.result.best_score == 1.0


def test_an_equal_one_is_kept_unless_the_run_asks_for_a_clear_gain():
    program, _ = compile_with(ByModel(right, right), qa(10))
    assert program.lm.model == "scripted/tuned-1"  # the keep-start rule: only a loss keeps it
    assert program.result.details["check"]["kept_start"] is None
    strict = RunContext(keep_start="unreliable")
    program, _ = compile_with(ByModel(right, right), qa(10), run=strict)
    assert program.lm is None
    assert program.result.details["check"]["kept_start"].startswith("no clear gain")


def test_with_a_valset_it_checks_there_and_trains_on_every_training_row():
    valset = [dspy.Example(question=f"q{i}", answer=str(i)).with_inputs("question")
              for i in range(100, 104)]  # fmt: skip
    program, trainer = compile_with(ByModel(right, wrong), qa(10), valset=valset)
    assert trained_questions(trainer) == {f"q{i}" for i in range(10)}
    assert program.result.details["check"]["rows"] == 4 and program.lm is None
    checked = {r["example_id"] for t in program.result.trials if t.subset == "val"
               for r in t.rows}  # fmt: skip
    assert len(checked) == 4


def test_without_a_metric_or_with_valset_empty_nothing_is_checked_and_it_says_so():
    program, trainer = compile_with(ByModel(right, wrong), qa(10), metric=None)
    assert program.lm.model == "scripted/tuned-1" and len(trained_questions(trainer)) == 10
    assert program.result.details["check"]["unchecked"] == "no metric"
    assert "not checked against the program as given: no metric" in logs(program)
    program, trainer = compile_with(ByModel(right, wrong), qa(10), valset=[])
    assert program.lm.model == "scripted/tuned-1" and len(trained_questions(trainer)) == 10
    assert program.result.details["check"]["unchecked"].startswith("no validation rows")


def test_the_held_back_rows_are_a_seeded_share_and_never_leave_too_few_to_train():
    rows = list(range(10))
    train, held = hold_back(rows, 0.2, keep=2)
    assert len(held) == 2 and sorted(train + held) == rows
    assert hold_back(rows, 0.2, keep=2) == (train, held)  # the same rows every time
    assert hold_back([0, 1], 0.2, keep=2) == ([0, 1], [])  # 1 held back would leave 1
    assert hold_back([0, 1, 2], 0.2, keep=2)[1] != []  # at least one when it can
    assert hold_back(rows, 0.0, keep=2) == (rows, [])
