"""BootstrapFinetune: the teacher's passing traces become chat rows, a trainer tunes the
model's weights on them, and the program comes back with its predictors on the tuned model."""

from __future__ import annotations

import copy
import importlib
import os
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from engine.core import NoLMConfiguredError
from engine.lm.local import models_dir
from engine.modules.predict import resolve_lm
from engine.optimizers.finetune._check import BASELINE_ORIGIN, CHECK_SHARE, check_result, hold_back
from engine.optimizers.finetune._forecast import finetune_estimate
from engine.optimizers.finetune._hosted import HostedTrainer, hosted_model
from engine.optimizers.finetune._process import TrainingCancelled
from engine.optimizers.finetune._rows import (
    TRAIN_ON,
    TrainingRow,
    build_rows,
    group_by_model,
    label_problem,
    label_rows,
    merge_rows,
    model_of,
    passing_traces,
    prompts_before_calls,
)
from engine.optimizers.finetune._trainer import LlamaTrainer, Trainer
from engine.optimizers.spine import (
    CompileJob,
    Estimate,
    Optimizer,
    Workload,
    example_id,
)

MIN_TRACES = 2  # fewer passing traces than this is no training set
TRAINER_ENV = "TUNESMITH_TEST_TRAINER"  # tests: "module:factory" builds the default trainer


class BootstrapFinetune(Optimizer):
    """`BootstrapFinetune(metric=None, multitask=True, train_kwargs=None, adapter=None,
    exclude_demos=False, num_threads=None, *, train_on="traces")`; `compile(student,
    trainset=..., teacher=None)`.

    The teacher (default: the student) runs over the training set through the shared
    evaluation loop; the traces the metric passes (all of them without a metric) become chat
    rows, one per predictor step, written by `adapter` (default: the configured one).
    `train_on="labels"` writes the rows from the training rows' own gold outputs instead (the
    same prompt, the label as the reply: what a base model that never answers right can still
    learn; no teacher runs), only for the steps whose inputs and outputs the data holds;
    `"both"` adds those label rows to the passing traces (a repeat of a trace row kept once). The
    trainer (default: `LlamaTrainer`, the embedded model) tunes each model on its rows
    (`multitask`: one tuned model per base model, else one per predictor); the student comes
    back with those predictors on the tuned models. Settings the trainer refuses, a model it
    cannot tune and rows longer than its context are refused before any LM call; too few
    passing traces (under `min_traces`) before any training.

    Not in DSPy: with a metric, the tuned program is checked against the student as given on
    rows it did not train on (`compile(valset=...)`, else `valset_ratio` of the training rows
    held back), and the student comes back when the tuned one scores lower, as the prompt
    optimizers' keep-start rule does (`result.details["check"]` has both scores; Python's log
    warns). `valset=[]` trains on every row and checks nothing.
    """

    valset_defaults_to_trainset = False
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
        max_rows: int | None = None,
        train_on: str = "traces",
        valset_ratio: float = CHECK_SHARE,
    ) -> None:
        if not 0 <= valset_ratio < 1:
            raise ValueError(f"valset_ratio must be in [0, 1), not {valset_ratio!r}")
        if max_rows is not None and max_rows < 1:
            raise ValueError(f"max_rows must be 1 or more (or None for all), not {max_rows!r}")
        if train_on not in TRAIN_ON:
            raise ValueError(f"train_on must be one of {', '.join(map(repr, TRAIN_ON))}, not "
                             f"{train_on!r}")  # fmt: skip
        self.train_on = train_on
        self.metric = metric
        self.multitask = multitask
        self.train_kwargs = dict(train_kwargs or {})
        self.adapter = adapter
        self.exclude_demos = exclude_demos
        self.num_threads = num_threads
        self.metric_threshold = metric_threshold
        self.min_traces = min_traces
        self.max_rows = max_rows
        self.valset_ratio = valset_ratio
        self._check: dict[str, Any] | None = None
        self._trainer = trainer
        self._default: Trainer | None = None
        self._lms: dict[str, Any] = {}  # model name -> the LM calling it (its endpoint)

    @property
    def trainer(self) -> Trainer:
        """The trainer given, else the default one: the embedded model's (or the test hook's,
        $TUNESMITH_TEST_TRAINER="module:factory")."""
        if self._trainer is not None:
            return self._trainer
        if self._default is None:
            hook = os.environ.get(TRAINER_ENV)
            if hook:
                module, _, name = hook.partition(":")
                self._default = getattr(importlib.import_module(module), name)()
            else:
                self._default = LlamaTrainer()
        return self._default

    def trainer_for(self, model: str) -> Trainer:
        """Who tunes `model`: the trainer given (or the test hook's); an OpenAI-compatible
        hosted model, its provider's fine-tuning API at the LM's endpoint; else the embedded
        trainer (which refuses what it cannot tune)."""
        if self._trainer is None and not os.environ.get(TRAINER_ENV) and hosted_model(model):
            lm = self._lms.get(model)
            return HostedTrainer(api_base=getattr(lm, "api_base", None),
                                 api_key=getattr(lm, "api_key", None))  # fmt: skip
        return self.trainer

    def remember_lms(self, program: Any) -> list[str]:
        """The models `program`'s predictors call (their LMs kept for `trainer_for`)."""
        for predictor in program.predictors():
            try:
                lm = resolve_lm(predictor.lm)
            except NoLMConfiguredError:
                continue
            self._lms[str(getattr(lm, "model", ""))] = lm
        return sorted({model_of(p) for p in program.predictors()} - {""})

    def params(self) -> dict[str, Any]:
        return {"train_kwargs": dict(self.train_kwargs), "multitask": self.multitask,
                "max_rows": self.max_rows, "min_traces": self.min_traces,
                "train_on": self.train_on, "valset_ratio": self.valset_ratio}  # fmt: skip

    def check_rows(self, trainset: list[Any], valset: list[Any] | None) -> tuple[list, list]:
        """(rows to train on, rows to check the tuned program on): the valset when given; else
        `valset_ratio` of the training rows held back (none without a metric to score them)."""
        if valset is not None:
            return list(trainset), list(valset)
        if self.metric is None:
            return list(trainset), []
        return hold_back(list(trainset), self.valset_ratio, self.min_traces)

    def result_details(self) -> dict[str, Any] | None:
        return {"check": self._check} if self._check is not None else None

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
        if self.train_on != "traces":
            problem = label_problem(student, trainset, self.train_on)
            if problem:
                return [*problems, problem]
        models = self.remember_lms(student)
        for model in models:
            problems += self.trainer_for(model).problems(model, self.train_kwargs)
        if problems:
            return problems
        problems += self.disk_problems(models)
        rows = self.rows_before_calls(student, trainset)
        sizes: dict[int, int] = {}  # training row index -> its longest chat, in tokens
        limit = 0
        for row in rows:
            trainer = self.trainer_for(row.model)
            limit = trainer.context_length(self.train_kwargs)
            size = trainer.count_tokens(row.model, row.messages)
            if size > limit:
                sizes[row.example] = max(size, sizes.get(row.example, 0))
        if sizes:
            problems.append(too_long([f"row {i + 1} ({n} tokens)" for i, n in
                                      sorted(sizes.items())], limit))  # fmt: skip
        return problems

    def rows_before_calls(self, student: Any, trainset: list[Any]) -> list[TrainingRow]:
        """The chats knowable before any call: the label rows (whole), and for traces the
        first step's prompt with an empty reply (later steps depend on earlier answers)."""
        rows = []
        if self.train_on != "labels":
            predictors = dict(student.named_predictors())
            for index, name, messages in prompts_before_calls(
                student, trainset, adapter=self.adapter, exclude_demos=self.exclude_demos
            ):
                chat = [*messages, {"role": "assistant", "content": ""}]
                rows.append(TrainingRow(index, name, model_of(predictors[name]), chat))
        if self.train_on != "traces":
            rows += label_rows(student, self.capped(trainset), adapter=self.adapter,
                               exclude_demos=self.exclude_demos)  # fmt: skip
        return rows

    def capped(self, trainset: list[Any]) -> list[Any]:
        """The training rows the labels are read from (the first `max_rows`)."""
        return list(trainset)[: self.max_rows] if self.max_rows is not None else list(trainset)

    def compile(
        self, student: Any, *, trainset: list[Any], teacher: Any = None,
        valset: list[Any] | None = None, **kw: Any,
    ) -> Any:  # fmt: skip
        """Check everything knowable before a call, then run (see the class docstring)."""
        trainset, valset = self.check_rows(list(trainset), valset)
        problems = self.check_settings(trainset, student=student)
        if problems:
            raise ValueError(" ".join(problems))
        return super().compile(student, trainset=trainset, teacher=teacher, valset=valset, **kw)

    def estimate(self, trainset: list[Any], valset: list[Any] | None = None,
                 **kw: Any) -> Estimate:  # fmt: skip
        trainset, valset = self.check_rows(list(trainset), valset)
        return super().estimate(trainset, valset, **kw)

    def disk_problems(self, models: list[str]) -> list[str]:
        """Not enough free disk for the training jobs (shutil.disk_usage against the trainer's
        own figure of what a job needs at its peak)."""
        trainers = [(self.trainer_for(m), m) for m in models]
        need = sum(t.disk_bytes(m) for t, m in trainers if hasattr(t, "disk_bytes"))
        if not need:
            return []
        folder = nearest_folder(getattr(self.trainer, "folder", None) or models_dir())
        free = shutil.disk_usage(folder).free
        if need <= free:
            return []
        return [
            f"Fine-tuning needs about {need / 1e9:.1f} GB of free disk at {folder} (the "
            f"model's weights as floats while training and saving); {free / 1e9:.1f} GB is "
            "free. Free some disk space and start again."
        ]

    # -- estimate ---------------------------------------------------------------------------
    def _estimate(self, work: Workload) -> Estimate:
        return finetune_estimate(self, work)

    # -- compile ----------------------------------------------------------------------------
    def _compile(self, job: CompileJob) -> Any:
        run, runner = job.runner.run, job.runner
        self._check = None
        rows = self.trace_rows(job) if self.train_on != "labels" else []
        if self.train_on != "traces":
            labels = label_rows(job.student, self.capped(job.trainset), adapter=self.adapter,
                                exclude_demos=self.exclude_demos)  # fmt: skip
            traced = len(rows)
            rows, repeats = merge_rows(rows, labels)
            repeated = f" ({repeats} of them the same as a teacher's row, kept once)"
            run.recorder.log(
                f"training rows: {traced} from the teacher's passing answers, {len(labels)} "
                f"from the training rows' own answers{repeated if repeats else ''}; "
                f"{len(rows)} in all"
            )
            if len({row.example for row in rows}) < self.min_traces:
                raise ValueError(f"Only {len(rows)} training rows; fine-tuning needs at least "
                                 f"{self.min_traces}. Add rows.")  # fmt: skip
        else:
            run.recorder.log(f"training rows: {len(rows)} from the teacher's passing answers")
        self.check_lengths(rows)
        tuned = self.train_groups(rows, run, job.runner.run.workdir)
        program = job.student.deepcopy()
        for name, predictor in program.named_predictors():
            key = model_of(predictor) if self.multitask else f"{model_of(predictor)}::{name}"
            if key in tuned:
                predictor.lm = resolve_lm(predictor.lm).copy(model=tuned[key])
                if self.exclude_demos:  # trained without them: the tuned model answers bare
                    predictor.demos = []
        origin = f"fine-tuned on {len(rows)} rows"
        if self.metric is None or not job.valset:
            runner.register(program, [], origin)
            why = "no metric" if self.metric is None else "no validation rows (valset=[])"
            self._check = check_result(run, type(self).__name__, None, None, why)
            return program
        checked = runner.evaluate(program, job.valset, subset="val", origin=origin)
        start = runner.evaluate(job.student, job.valset, subset="val", origin=BASELINE_ORIGIN,
                                track_best=False)  # the spine's baseline: no new call
        self._check = check_result(run, type(self).__name__, start, checked)
        return program

    def trace_rows(self, job: CompileJob) -> list[TrainingRow]:
        """The teacher (default: the student) run over the training set; its passing traces as
        rows. Too few of them is refused when they are the only source."""
        run, runner = job.runner.run, job.runner
        teacher = job.teacher if job.teacher is not None else job.student
        self.remember_lms(teacher)
        run.recorder.phase(
            "collecting traces", f"the teacher on {len(job.trainset)} training examples"
        )
        trial = runner.evaluate(teacher, job.trainset, subset="train", track_best=False,
                                origin="teacher on the training set")  # fmt: skip
        evaluated = trial_rows(trial, job.trainset, run.results)
        if self.metric is None:  # DSPy keeps every trace when there is no metric
            evaluated = [{**r, "score": 1.0} for r in evaluated]
        traces = passing_traces(evaluated, self.metric_threshold)
        if self.max_rows is not None:
            traces = dict(list(traces.items())[: self.max_rows])
        if self.train_on == "traces" and len(traces) < self.min_traces:
            passed = "passed the metric" if self.metric is not None else "ran without an error"
            raise ValueError(
                f"Only {len(traces)} of {len(job.trainset)} training rows {passed}; "
                f"fine-tuning needs at least {self.min_traces}. Add rows, or check the metric."
            )
        return build_rows(teacher, traces, adapter=self.adapter, exclude_demos=self.exclude_demos)

    def check_lengths(self, rows: list[TrainingRow]) -> None:
        over, limit = [], 0
        for row in rows:
            trainer = self.trainer_for(row.model)
            limit = trainer.context_length(self.train_kwargs)
            size = trainer.count_tokens(row.model, row.messages)
            if size > limit:
                over.append(f"row {row.example + 1} at {row.predictor} ({size} tokens)")
        if over:
            raise ValueError(too_long(over, limit))

    def train_groups(
        self, rows: list[TrainingRow], run: Any, workdir: Path | None = None
    ) -> dict[str, str]:
        """Train one model per group of rows; {group key: tuned model name}. The embedded
        trainer writes into the run's folder (`workdir/model`) when there is one."""
        tuned = {}
        for key, group in group_by_model(rows, self.multitask).items():
            model = group[0].model
            trainer = self.trainer_for(model)
            if workdir is not None and getattr(trainer, "folder", "") is None:
                trainer = copy.copy(trainer)  # the given one keeps writing where it did
                trainer.folder = Path(workdir) / "model"
            run.recorder.phase("training", f"{model} on {len(group)} rows")

            def report(step: Any, key: str = key) -> bool:
                run.recorder.emit(
                    "training_step", job=key, step=step.step, steps=step.steps,
                    loss=round(step.loss, 4), seconds=round(step.seconds, 1),
                    tokens_per_second=round(step.tokens_per_second, 1),
                )  # fmt: skip
                return not (run.should_cancel is not None and run.should_cancel())

            stop = run.should_cancel or (lambda: False)
            try:
                tuned[key] = trainer.train(model, [r.messages for r in group],
                                           self.train_kwargs, report, stop)  # fmt: skip
            except TrainingCancelled:
                run.check_cancel()
                raise
            run.recorder.log(f"fine-tuned {key}: {tuned[key]}")
            run.check_cancel()  # stopped mid-training: the run ends as cancelled
        return tuned


def too_long(over: list[str], limit: int) -> str:
    shown = ", ".join(over[:10]) + (f" and {len(over) - 10} more" if len(over) > 10 else "")
    return (
        f"{len(over)} training rows are longer than the trainer's {limit}-token window: "
        f"{shown}. Raise train_kwargs['n_ctx'] (a multiple of 256) or shorten those rows."
    )


def trial_rows(
    trial: Any, examples: list[Any], results: Mapping[tuple[str, str], dict[str, Any]]
) -> list[dict[str, Any]]:
    """The trial's rows with their traces. A trial replayed from the store after a crash has
    its rows (and their traces) in the stored results only."""
    out = []
    for index, example in enumerate(examples):
        stored = results.get((trial.candidate, example_id(example)))
        if stored is not None:
            out.append({**stored, "index": index})
    return out if len(out) == len(examples) else list(trial.rows)


def nearest_folder(path: Path) -> Path:
    """`path`, or its nearest parent that exists (what disk_usage can measure)."""
    path = Path(path).expanduser().resolve()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path
