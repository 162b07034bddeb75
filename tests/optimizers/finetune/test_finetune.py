"""BootstrapFinetune with scripted LMs and a recording trainer (a real `Trainer`: it counts
tokens by words and answers with a tuned model's name). Its helpers (`RecordingTrainer`, `qa`,
`exact`, `echo`, `wrong`, ...) serve the other finetune tests and BetterTogether's."""

from __future__ import annotations

import pytest

import engine as dspy
from engine.adapters import ChatAdapter, JSONAdapter
from engine.lm import ScriptedLM
from engine.lm.scripted import input_fields
from engine.optimizers import RunContext
from engine.optimizers.finetune import BootstrapFinetune, plan_steps
from engine.optimizers.finetune._llama_train import (
    TokenRow,
    epoch_windows,
    row_window,
    step_rate,
    windows,
)
from engine.optimizers.finetune._trainer import llama_kwargs_problems


class RecordingTrainer:
    """Trains nothing: keeps the rows it was handed, reports `steps` falling losses."""

    def __init__(self, context: int = 10_000, steps: int = 3) -> None:
        self.context, self.steps = context, steps
        self.jobs: list[tuple[str, list, dict]] = []

    def problems(self, model, train_kwargs):
        return [f"{k} is refused" for k in train_kwargs if k == "refused"]

    def count_tokens(self, model, messages):
        return sum(len(m["content"].split()) for m in messages)

    def context_length(self, train_kwargs):
        return self.context

    def train(self, model, rows, train_kwargs, on_step=None, should_stop=None):
        self.jobs.append((model, list(rows), dict(train_kwargs)))
        for number in range(1, self.steps + 1):
            step = Step(number, self.steps, 2.0 / number, 1.0 * number, 100.0)
            if on_step is not None and on_step(step) is False:
                break
        return f"scripted/tuned-{len(self.jobs)}"


class Step:
    def __init__(self, step, steps, loss, seconds, tokens_per_second):
        self.step, self.steps, self.loss = step, steps, loss
        self.seconds, self.tokens_per_second = seconds, tokens_per_second


def qa(n):
    return [dspy.Example(question=f"q{i}", answer=str(i)).with_inputs("question") for i in range(n)]


def exact(example, prediction, trace=None):
    return example.answer == prediction.answer


def echo(messages):
    """Answers q<i> with i (q7 and q9 wrongly)."""
    number = input_fields(messages[-1]["content"])["question"][1:]
    return {"answer": "x" if number in ("7", "9") else number}


def wrong(messages):
    """Never answers right."""
    return {"answer": "wrong"}


class TwoSteps(dspy.Module):
    def __init__(self):
        super().__init__()
        self.draft = dspy.Predict("question -> answer")
        self.check = dspy.Predict("question, answer -> verdict")

    def forward(self, question):
        answer = self.draft(question=question).answer
        return dspy.Prediction(answer=answer, verdict=self.check(question=question,
                                                                 answer=answer).verdict)


def two_step_lm(messages):
    fields = input_fields(messages[-1]["content"])
    if "answer" in fields:
        return {"verdict": "ok"}
    return {"answer": fields["question"][1:]}


# -- trace collection and rows -----------------------------------------------------------------
def test_passing_traces_become_the_adapters_own_messages_with_the_answer():
    lm, trainer = ScriptedLM(by_input=echo), RecordingTrainer()
    student = dspy.Predict("question -> answer")
    with dspy.context(lm=lm):
        tuned = BootstrapFinetune(metric=exact, trainer=trainer).compile(student, trainset=qa(10),
                                                                         valset=[])  # fmt: skip
    [(model, rows, _)] = trainer.jobs
    assert model == "scripted/default" and len(rows) == 8  # q7 and q9 fail the metric
    sent = {input_fields(h["messages"][-1]["content"])["question"]: h["messages"]
            for h in lm.history}  # fmt: skip
    for row in rows:
        question = input_fields(row[-2]["content"])["question"]
        assert row[:-1] == sent[question]  # exactly what the adapter sent for that call
        assert row[-1] == {"role": "assistant", "content": ChatAdapter().format_outputs(
            student.signature, {"answer": question[1:]})}  # fmt: skip
    assert tuned.lm.model == "scripted/tuned-1" and student.lm is None
    assert tuned.result.status == "finished"


def test_without_a_metric_every_trace_is_kept_and_another_adapter_writes_the_rows():
    trainer = RecordingTrainer()
    with dspy.context(lm=ScriptedLM(by_input=echo)):
        BootstrapFinetune(trainer=trainer, adapter=JSONAdapter()).compile(
            dspy.Predict("question -> answer"), trainset=qa(10)
        )
    rows = trainer.jobs[0][1]
    assert len(rows) == 10
    assert rows[7][-1]["content"] == '{"answer": "x"}'  # the JSON adapter's own reply


def test_multitask_shares_one_model_and_per_predictor_trains_one_each():
    for multitask, jobs in ((True, 1), (False, 2)):
        trainer = RecordingTrainer()
        with dspy.context(lm=ScriptedLM(by_input=two_step_lm)):
            tuned = BootstrapFinetune(metric=exact, multitask=multitask, trainer=trainer).compile(
                TwoSteps(), trainset=qa(4), valset=[]
            )
        assert len(trainer.jobs) == jobs
        assert sum(len(job[1]) for job in trainer.jobs) == 8  # 4 examples x 2 steps
        models = {p.lm.model for p in tuned.predictors()}
        assert models == ({"scripted/tuned-1"} if multitask else
                          {"scripted/tuned-1", "scripted/tuned-2"})  # fmt: skip


def test_exclude_demos_leaves_the_demos_out_of_the_rows_and_the_tuned_program():
    student = dspy.Predict("question -> answer")
    student.demos = [dspy.Example(question="q100", answer="100")]
    for exclude, users in ((False, 2), (True, 1)):
        trainer = RecordingTrainer()
        with dspy.context(lm=ScriptedLM(by_input=echo)):
            tuned = BootstrapFinetune(metric=exact, exclude_demos=exclude, trainer=trainer).compile(
                student, trainset=qa(3)
            )
        row = trainer.jobs[0][1][0]
        assert sum(m["role"] == "user" for m in row) == users
        assert len(tuned.demos) == users - 1  # trained without its demos, it answers without
    assert len(student.demos) == 1  # the student given is left as it was


def test_training_progress_is_reported_as_events():
    trainer = RecordingTrainer(steps=3)
    with dspy.context(lm=ScriptedLM(by_input=echo)):
        tuned = BootstrapFinetune(metric=exact, trainer=trainer).compile(
            dspy.Predict("question -> answer"), trainset=qa(4)
        )
    steps = [e.data for e in tuned.result.events if e.type == "training_step"]
    assert [s["step"] for s in steps] == [1, 2, 3]
    assert [s["loss"] for s in steps] == [2.0, 1.0, 0.6667]
    assert steps[-1] == {"job": "scripted/default", "step": 3, "steps": 3, "loss": 0.6667,
                         "seconds": 3.0, "tokens_per_second": 100.0}  # fmt: skip


def test_a_cancel_during_training_ends_the_run_as_cancelled():
    trainer = RecordingTrainer(steps=5)
    asked = []

    def cancel():
        asked.append(1)
        return len(asked) > 2

    with dspy.context(lm=ScriptedLM(by_input=echo)):
        tuned = BootstrapFinetune(metric=exact, trainer=trainer).compile(
            dspy.Predict("question -> answer"), trainset=qa(4), run=RunContext(should_cancel=cancel)
        )
    assert tuned.result.status == "cancelled"
    assert tuned.lm is None  # the student as given


# -- bad input, before any call ----------------------------------------------------------------
def test_too_few_passing_traces_is_refused_before_training():
    lm, trainer = ScriptedLM(by_input=lambda m: {"answer": "wrong"}), RecordingTrainer()
    with dspy.context(lm=lm), pytest.raises(ValueError, match="Only 0 of 5 training rows passed"):
        BootstrapFinetune(metric=exact, trainer=trainer).compile(
            dspy.Predict("question -> answer"), trainset=qa(5), valset=[]
        )
    assert trainer.jobs == []


def test_rows_over_the_context_are_named_before_any_call():
    lm = ScriptedLM(by_input=echo)
    trainset = qa(3) + [dspy.Example(question="q3 " + "long " * 200, answer="3")
                        .with_inputs("question")]  # fmt: skip
    with dspy.context(lm=lm), pytest.raises(ValueError) as error:
        BootstrapFinetune(metric=exact, trainer=RecordingTrainer(context=150)).compile(
            dspy.Predict("question -> answer"), trainset=trainset, valset=[]
        )
    assert "1 training rows are longer than the trainer's 150-token window: row 4 (" in str(
        error.value
    )
    assert lm.calls_made == 0


def test_refused_settings_and_tiny_trainsets_are_refused_before_any_call():
    lm = ScriptedLM(by_input=echo)
    optimizer = BootstrapFinetune(metric=exact, trainer=RecordingTrainer(),
                                  train_kwargs={"refused": 1})  # fmt: skip
    with dspy.context(lm=lm), pytest.raises(ValueError, match="refused is refused"):
        optimizer.compile(dspy.Predict("question -> answer"), trainset=qa(1))
    assert lm.calls_made == 0
    problems = optimizer.check_settings(qa(1), student=dspy.Predict("question -> answer"))
    assert problems[0].startswith("Fine-tuning needs at least 2 training rows")


def test_the_embedded_trainer_honours_or_refuses_each_train_kwarg():
    seed_shape = {"use_peft": True, "num_train_epochs": 1, "per_device_train_batch_size": 4,
                  "learning_rate": 2e-4}  # fmt: skip
    problems = llama_kwargs_problems(seed_shape)
    assert len(problems) == 2
    assert "LoRA adapter" in problems[0] and "use_peft" in problems[0]
    assert "per_device_train_batch_size']=4" in problems[1]
    assert llama_kwargs_problems({"use_peft": False, "num_train_epochs": 2, "n_ctx": 512}) == []
    assert "not a setting" in llama_kwargs_problems({"warmup_steps": 10})[0]
    assert llama_kwargs_problems({"lr_scheduler_type": "linear", "warmup_ratio": 0.1,
                                  "seed": 3}) == []  # fmt: skip
    assert "'cosine'" in llama_kwargs_problems({"lr_scheduler_type": "step"})[0]
    assert "from 0 to below 1" in llama_kwargs_problems({"warmup_ratio": 1.5})[0]
    assert "whole number or None" in llama_kwargs_problems({"seed": "x"})[0]
    assert "multiple of 256" in llama_kwargs_problems({"n_ctx": 300})[0]
    assert llama_kwargs_problems({"packing": False}) == []
    assert "True or False" in llama_kwargs_problems({"packing": "no"})[0]


def test_a_hosted_model_cannot_be_tuned_by_the_embedded_trainer():
    lm = ScriptedLM(by_input=echo)
    with dspy.context(lm=lm), pytest.raises(ValueError, match="cannot be fine-tuned here"):
        BootstrapFinetune(metric=exact).compile(dspy.Predict("question -> answer"),
                                                trainset=qa(4))  # fmt: skip
    assert lm.calls_made == 0


# -- budget ------------------------------------------------------------------------------------
def test_the_estimate_is_a_teacher_run_per_training_row_and_the_checks_runs():
    estimate = BootstrapFinetune(metric=exact, trainer=RecordingTrainer()).estimate(
        qa(10), student=TwoSteps()
    )
    # 2 of the 10 rows held back: the teacher on 8, the start and the tuned program on 2 (2 steps)
    assert estimate.calls == {"task": 8 * 2 + 2 * 2 * 2}
    lm = ScriptedLM(by_input=two_step_lm)
    with dspy.context(lm=lm):
        optimizer = BootstrapFinetune(metric=exact, trainer=RecordingTrainer())
        optimizer.compile(TwoSteps(), trainset=qa(10))
    assert lm.calls_made == 24
    unchecked = BootstrapFinetune(metric=exact, trainer=RecordingTrainer()).estimate(
        qa(10), [], student=TwoSteps())  # fmt: skip
    assert unchecked.calls == {"task": 20}


def test_training_steps_are_windows_times_epochs_capped_by_max_steps():
    assert plan_steps(1000, 256, 1, None).steps == 4
    assert plan_steps(1000, 256, 2, None).steps == 8
    assert plan_steps(1000, 256, 2, 5).steps == 5
    assert plan_steps(10, 256, 1, None).windows == 1
    # whole rows to a window (the answer-only loss): 10 rows of 100 tokens, 2 to a window
    assert plan_steps(1000, 256, 1, None, rows=10).windows == 5
    # a row a window, each the smallest multiple of 256 that holds the average row
    alone = plan_steps(2190, 512, 3, None, rows=10, packing=False)
    assert (alone.windows, alone.steps, alone.window) == (10, 30, 256)
    assert plan_steps(1000, 512, 1, None, rows=10).window == 512  # packed: the setting's


def test_windows_pack_rows_end_to_end_with_next_token_labels():
    rows = [TokenRow(list(range(100))), TokenRow(list(range(100, 300)))]
    out = windows(rows, 128)
    assert [len(w.tokens) for w in out] == [129, 129, 129]
    assert out[0].tokens[:3] == [0, 1, 2] and out[1].tokens[0] == 128  # n_ctx further each
    assert out[2].tokens[-1] == 84  # the last is filled from the stream's start: 256..299, 0..84
    assert all(all(w.counted) and len(w.counted) == 128 and not w.masked for w in out)


def test_windows_count_the_labels_from_each_rows_answer_on():
    rows = [TokenRow(list(range(10)), counted_from=7), TokenRow(list(range(10, 16)), 4)]
    (window,) = windows(rows, 15)
    # label i is token i + 1: row 1's tokens 7-9 (labels 6-8), row 2's 14-15 (labels 13-14)
    assert [i for i, c in enumerate(window.counted) if c] == [6, 7, 8, 13, 14]
    assert window.masked


def test_answer_only_rows_are_packed_whole_and_the_rest_of_a_window_is_padding():
    rows = [TokenRow(list(range(10)), 7), TokenRow(list(range(10, 18)), 5),
            TokenRow(list(range(20, 27)), 5)]  # fmt: skip
    first, second = windows(rows, 15)  # 10 + 8 tokens do not fit in 16: two windows
    assert first.tokens == [*range(10), *[9] * 6] and second.tokens[:8] == list(range(10, 18))
    assert [i for i, c in enumerate(first.counted) if c] == [6, 7, 8]  # the padding is not
    assert second.tokens[8:15] == list(range(20, 27))  # rows 2 and 3 share a window
    assert [i for i, c in enumerate(second.counted) if c] == [4, 5, 6, 12, 13]
    long_row = TokenRow(list(range(40)), 30)  # longer than a window: it goes on in the next
    windows_of_long = windows([long_row], 15)
    assert [w.tokens[0] for w in windows_of_long] == [0, 15, 30]
    assert sum(sum(w.counted) for w in windows_of_long) == 10  # its labels 30-39, once each


def test_without_packing_each_row_has_a_window_of_its_own():
    rows = [TokenRow(list(range(10 * i, 10 * i + 6)), 4) for i in range(3)]  # 2 would fit a window
    out = windows(rows, 15, packing=False)
    assert [w.tokens[:6] for w in out] == [r.tokens for r in rows]
    assert all(w.tokens[6:] == [w.tokens[5]] * 10 for w in out)  # the rest is padding ...
    assert all([i for i, c in enumerate(w.counted) if c] == [3, 4] for w in out)  # ... uncounted
    every_token = [TokenRow(list(range(5))), TokenRow(list(range(5, 9)))]  # loss on all, alone
    assert [sum(w.counted) for w in windows(every_token, 15, packing=False)] == [4, 3]
    assert len(epoch_windows(rows, 15, 2, packing=False)) == 6
    # the window a row alone needs: the least multiple of 256 holding the longest, at most n_ctx
    assert row_window([TokenRow([0] * 219), TokenRow([0] * 100)], 512) == 256
    assert row_window([TokenRow([0] * 258)], 512) == 512
    assert row_window([TokenRow([0] * 257)], 512) == 256  # 257 tokens: 256 inputs, 256 labels
    assert row_window([TokenRow([0] * 900)], 512) == 512  # longer: it goes on in a next window


def test_each_epoch_packs_the_rows_in_an_order_of_its_own():
    rows = [TokenRow(list(range(10 * i, 10 * i + 6)), 4) for i in range(8)]  # 2 rows a window
    out = epoch_windows(rows, 15, epochs=3, seed=0)
    assert len(out) == 12  # 4 windows an epoch
    epochs = [out[i : i + 4] for i in (0, 4, 8)]
    firsts = [[w.tokens[0] for w in epoch] for epoch in epochs]
    for epoch in epochs:  # every row once an epoch, its answer counted once
        starts = sorted(t for w in epoch for t in (w.tokens[0], w.tokens[6]))
        assert starts == [10 * i for i in range(8)]
        assert sum(sum(w.counted) for w in epoch) == 8 * 2
    assert len({tuple(f) for f in firsts}) == 3  # three orders
    assert epoch_windows(rows, 15, epochs=3, seed=0) == out  # the seed fixes them
    assert epoch_windows(rows, 15, epochs=3, seed=1) != out
    in_order = epoch_windows(rows, 15, epochs=3)  # no seed: every epoch in the rows' order
    assert in_order == windows(rows, 15) * 3


def test_the_step_size_follows_the_schedule():
    rates = [step_rate(1.0, i, 10, "linear", warmup_ratio=0.2) for i in range(10)]
    assert rates[:2] == pytest.approx([1 / 3, 2 / 3])  # warm-up over 2 steps, towards 1
    assert rates[2] == 1.0 and rates[-1] == pytest.approx(1 / 8)  # then down to 0 linearly
    assert all(a > b for a, b in zip(rates[2:], rates[3:], strict=False))
    assert [step_rate(1e-4, i, 5) for i in range(5)] == [1e-4] * 5  # constant, no warm-up
    cosine = [step_rate(1.0, i, 4, "cosine") for i in range(4)]
    assert cosine[0] == 1.0 and cosine[2] == pytest.approx(0.5) and cosine[3] < 0.2


def test_the_embedded_trainer_trains_a_row_a_window_of_its_size_unless_packing(
    tmp_path, monkeypatch
):
    from engine.optimizers.finetune import _trainer

    trainer = _trainer.LlamaTrainer(folder=tmp_path)
    monkeypatch.setattr(trainer, "problems", lambda model, train_kwargs: [])
    monkeypatch.setattr(trainer, "tokens", lambda model, row, answer_only=True: TokenRow(
        [1] * 200, 190))  # fmt: skip
    monkeypatch.setattr(_trainer, "local_model_path", lambda model: tmp_path / "base.gguf")
    jobs: list[dict] = []
    monkeypatch.setattr(_trainer, "run_training", lambda job, kwargs, out, **_: jobs.append(kwargs))
    rows = [[{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]] * 3
    trainer.train("local/base.gguf", rows, {"num_train_epochs": 2})  # the default: alone
    trainer.train("local/base.gguf", rows, {"packing": True, "num_train_epochs": 2})
    trainer.train("local/base.gguf", rows, {})
    alone, packed, defaults = jobs
    assert (alone["n_ctx"], alone["steps"]) == (256, 6)  # 3 rows, each alone, twice
    assert (packed["n_ctx"], packed["steps"]) == (512, 4)  # 2 rows of 200 to a 512 window
    assert (defaults["steps"], defaults["learning_rate"]) == (24, 3e-5)  # 8 passes, low rate
