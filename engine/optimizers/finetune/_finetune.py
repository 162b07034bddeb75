"""BootstrapFinetune: the teacher's passing traces become chat rows, a trainer tunes the
model's weights on them, and the program comes back with its predictors on the tuned model."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from engine.modules.predict import resolve_lm
from engine.optimizers.finetune._rows import (
    TrainingRow,
    build_rows,
    group_by_model,
    passing_traces,
    prompts_before_calls,
)
from engine.optimizers.finetune._trainer import LlamaTrainer, Trainer
from engine.optimizers.spine._base import CompileJob, Optimizer
from engine.optimizers.spine._budget import Estimate, Workload, tokens_per_call

MIN_TRACES = 2  # fewer passing traces than this is no training set


class BootstrapFinetune(Optimizer):
    """`BootstrapFinetune(metric=None, multitask=True, train_kwargs=None, adapter=None,
    exclude_demos=False, num_threads=None)`; `compile(student, trainset=..., teacher=None)`.

    The teacher (default: the student) runs over the training set through the shared
    evaluation loop; the traces the metric passes (all of them without a metric) become chat
    rows, one per predictor step, written by `adapter` (default: the configured one); the
    trainer (default: `LlamaTrainer`, the embedded model) tunes each model on its rows
    (`multitask`: one tuned model per base model, else one per predictor); the student comes
    back with those predictors on the tuned models. Settings the trainer refuses, a model it
    cannot tune and rows longer than its context are refused before any LM call; too few
    passing traces (under `min_traces`) before any training.
    """

    valset_defaults_to_trainset = False
    uses_valset = False
    calibrates_choices = False

    def __init__(
        self,
        metric: Callable[..., Any] | None = None,
        multitask: bool = True,
        train_kwargs: Mapping[str, Any] | None = None,
        adapter: Any = None,
        exclude_demos: bool = False,
        num_threads: int | None = None,
        *,
        trainer: Trainer | None = None,
        metric_threshold: float | None = None,
        min_traces: int = MIN_TRACES,
    ) -> None:
        self.metric = metric
        self.multitask = multitask
        self.train_kwargs = dict(train_kwargs or {})
        self.adapter = adapter
        self.exclude_demos = exclude_demos
        self.num_threads = num_threads
        self.metric_threshold = metric_threshold
        self.min_traces = min_traces
        self._trainer = trainer

    @property
    def trainer(self) -> Trainer:
        if self._trainer is None:
            self._trainer = LlamaTrainer()
        return self._trainer

    # -- checks before any call -------------------------------------------------------------
    def check_settings(
        self, trainset: list[Any], valset: list[Any] | None = None, *, student: Any = None
    ) -> list[str]:
        problems = []
        if len(trainset) < self.min_traces:
            problems.append(
                f"Fine-tuning needs at least {self.min_traces} training rows the teacher gets "
                f"right; the training set has {len(trainset)}."
            )
        if student is None:
            return problems
        models = sorted({model_of(p) for p in student.predictors()})
        for model in models:
            problems += self.trainer.problems(model, self.train_kwargs)
        if problems:
            return problems
        limit = self.trainer.context_length(self.train_kwargs)
        over = []
        for index, name, messages in prompts_before_calls(
            student, trainset, adapter=self.adapter, exclude_demos=self.exclude_demos
        ):
            model = model_of(dict(student.named_predictors())[name])
            size = self.trainer.count_tokens(model, [*messages, {"role": "assistant",
                                                                  "content": ""}])  # fmt: skip
            if size > limit:
                over.append(f"row {index + 1} ({size} tokens)")
        if over:
            problems.append(too_long(over, limit))
        return problems

    def compile(self, student: Any, *, trainset: list[Any], teacher: Any = None, **kw: Any) -> Any:
        """Check everything knowable before a call, then run (see the class docstring)."""
        problems = self.check_settings(list(trainset), student=student)
        if problems:
            raise ValueError(" ".join(problems))
        return super().compile(student, trainset=trainset, teacher=teacher, **kw)

    # -- estimate ---------------------------------------------------------------------------
    def _estimate(self, work: Workload) -> Estimate:
        calls = len(work.trainset) * work.per_example
        tokens = calls * tokens_per_call(work.trainset, 0)
        return Estimate({"task": calls}, tokens, 1, "the teacher runs once on every training row")

    # -- compile ----------------------------------------------------------------------------
    def _compile(self, job: CompileJob) -> Any:
        run, runner = job.runner.run, job.runner
        teacher = job.teacher if job.teacher is not None else job.student
        run.recorder.phase(
            "collecting traces", f"the teacher on {len(job.trainset)} training examples"
        )
        trial = runner.evaluate(teacher, job.trainset, subset="train", track_best=False,
                                origin="teacher on the training set")  # fmt: skip
        evaluated = trial.rows
        if self.metric is None:  # DSPy keeps every trace when there is no metric
            evaluated = [{**r, "score": 1.0} for r in evaluated]
        traces = passing_traces(evaluated, self.metric_threshold)
        if len(traces) < self.min_traces:
            passed = "passed the metric" if self.metric is not None else "ran without an error"
            raise ValueError(
                f"Only {len(traces)} of {len(job.trainset)} training rows {passed}; "
                f"fine-tuning needs at least {self.min_traces}. Add rows, or check the metric."
            )
        rows = build_rows(teacher, traces, adapter=self.adapter, exclude_demos=self.exclude_demos)
        self.check_lengths(rows)
        tuned = self.train_groups(rows, run)
        program = job.student.deepcopy()
        for name, predictor in program.named_predictors():
            key = model_of(predictor) if self.multitask else f"{model_of(predictor)}::{name}"
            if key in tuned:
                predictor.lm = resolve_lm(predictor.lm).copy(model=tuned[key])
        runner.register(program, [], f"fine-tuned on {len(rows)} rows")
        return program

    def check_lengths(self, rows: list[TrainingRow]) -> None:
        limit = self.trainer.context_length(self.train_kwargs)
        over = []
        for row in rows:
            size = self.trainer.count_tokens(row.model, row.messages)
            if size > limit:
                over.append(f"row {row.example + 1} at {row.predictor} ({size} tokens)")
        if over:
            raise ValueError(too_long(over, limit))

    def train_groups(self, rows: list[TrainingRow], run: Any) -> dict[str, str]:
        """Train one model per group of rows; {group key: tuned model name}."""
        tuned = {}
        for key, group in group_by_model(rows, self.multitask).items():
            model = group[0].model
            run.recorder.phase("training", f"{model} on {len(group)} rows")

            def report(step: Any, key: str = key) -> bool:
                # a log event with the step's figures (a typed event kind comes with the
                # registry entry, not written yet)
                run.recorder.emit(
                    "log", level="info",
                    message=f"training {key}: step {step.step}/{step.steps}, loss "
                    f"{step.loss:.3f}, {step.tokens_per_second:.1f} tokens/s",
                    training_step=step.step, steps=step.steps, loss=round(step.loss, 4),
                    tokens_per_second=round(step.tokens_per_second, 1),
                )  # fmt: skip
                return not (run.should_cancel is not None and run.should_cancel())

            tuned[key] = self.trainer.train(
                model, [r.messages for r in group], self.train_kwargs, report
            )
            run.recorder.log(f"fine-tuned {key}: {tuned[key]}")
            run.check_cancel()  # stopped mid-training: the run ends as cancelled
        return tuned


def model_of(predictor: Any) -> str:
    return str(getattr(resolve_lm(predictor.lm), "model", ""))


def too_long(over: list[str], limit: int) -> str:
    shown = ", ".join(over[:10]) + (f" and {len(over) - 10} more" if len(over) > 10 else "")
    return (
        f"{len(over)} training rows are longer than the trainer's {limit}-token window: "
        f"{shown}. Raise train_kwargs['n_ctx'] (a multiple of 256) or shorten those rows."
    )
