"""BootstrapFewShot: demos from the teacher's own successful runs on training examples.

The teacher (default: the student with labeled demos) runs on training examples in small
batches; every predictor's inputs and outputs of runs the metric accepts become demos
(`augmented=True`). An example never sees itself among the teacher's demos. Results are
collected per batch and taken in example order, so the demos never depend on thread timing.
Later rounds retry failed examples at temperature 1.0 with a distinct `rollout_id`.
The teacher's labeled demos and the labeled fill-up are drawn as DSPy draws them (with
`random.Random(run seed)`: DSPy's own at the default seed 0).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from engine.core import BudgetExhausted, Example, lm_threads, parallel_map, settings
from engine.evaluate.evaluate import TooManyErrors
from engine.evaluate.scoring import call_metric, score_of
from engine.modules.predict import resolve_lm
from engine.optimizers.labeled import labeled_rng, set_labeled_demos
from engine.optimizers.spine import (
    Candidate,
    CompileJob,
    Estimate,
    Optimizer,
    TrialRunner,
    Workload,
    baseline_and_result_scoring,
    tokens_per_call,
)

# Assumed share of training examples the teacher gets right, for estimates only.
ASSUMED_SUCCESS_RATE = 0.75

TraceStep = tuple[str, dict[str, Any], dict[str, Any]]  # (predictor path, inputs, outputs)


def _teacher_tries(
    n_train: int, max_demos: int, max_rounds: int, success: float
) -> tuple[int, float]:
    """Training rows the teacher is expected to try for `max_demos` demos (capped by the
    trainset), and the calls each costs over the rounds."""
    rounds = max(1, max_rounds)
    per_example_success = 1 - (1 - success) ** rounds
    per_example_calls = sum((1 - success) ** r for r in range(rounds))
    return min(n_train, math.ceil(max_demos / per_example_success)), per_example_calls


def bootstrap_calls(
    n_train: int,
    max_demos: int,
    max_rounds: int,
    predictors: int,
    success: float = ASSUMED_SUCCESS_RATE,
) -> int:
    """Expected teacher calls to bootstrap `max_demos` demos (capped by the trainset)."""
    if max_demos <= 0 or n_train <= 0:
        return 0
    tried, per_example_calls = _teacher_tries(n_train, max_demos, max_rounds, success)
    return round(tried * per_example_calls * predictors)


def teacher_repeats(
    n_train: int,
    demo_counts: list[int],
    max_rounds: int,
    predictors: int,
    success: float = ASSUMED_SUCCESS_RATE,
) -> int:
    """Expected teacher calls, of the `bootstrap_calls` of seeds bootstrapping `demo_counts`
    demos each with one shared teacher on their own shuffles of the trainset, that repeat a
    row an earlier seed traced (the same prompt: the LM cache answers them). A row is new
    unless every seed passed it by, each trying its share of the trainset."""
    if n_train <= 0:
        return 0
    total, untouched, per_example_calls = 0, 1.0, 0.0
    for demos in demo_counts:
        if demos > 0:
            tried, per_example_calls = _teacher_tries(n_train, demos, max_rounds, success)
            total += bootstrap_calls(n_train, demos, max_rounds, predictors, success)
            untouched *= 1 - tried / n_train
    distinct = n_train * (1 - untouched) * per_example_calls * predictors
    return max(0, round(total - distinct))


def demos_read_again(
    n_train: int, demos: int, run_seed: int, traced: int, predictors: int = 1
) -> int:
    """The demos a teacher with DSPy's labeled draw (`run_seed`, `demos` of `n_train` rows per
    predictor) reads again on its first `traced` training rows, on a model that keeps prompt
    starts: a row that is one of its demos is left out of them, so every demo after it is read
    again. The draw picks the same positions whatever the rows' order (a shuffled candidate's
    too), so this is known before the run."""
    rng, k, total = labeled_rng(run_seed), min(demos, n_train), 0
    for _ in range(predictors):
        where = {row: p for p, row in enumerate(rng.sample(range(n_train), k))}
        total += sum(k - 1 - where[row] for row in range(min(traced, n_train)) if row in where)
    return total


def typical_demos_read_again(n_train: int, demos: int, traced: int, predictors: int = 1) -> float:
    """`demos_read_again` averaged over the draws: each traced row is a demo with chance
    k / n_train, at a position uniform over the k, so (k - 1) / 2 demos after it."""
    if n_train <= 0:
        return 0.0
    k = min(demos, n_train)
    return predictors * min(traced, n_train) * k / n_train * max(0, k - 1) / 2


def batch_size(need: int, found: int, tried: int, threads: int) -> int:
    """Teacher runs to start at once for `need` more demos: `need` while every run so far
    passed, else `need` divided by the share that passed (so a batch is expected to yield
    `need`, in one round trip instead of several), never more than `threads`. The demos are
    the same as one run at a time would find (the first successes in example order)."""
    rate = found / tried if tried else 1.0
    wanted = need if rate >= 1.0 else math.ceil(need / max(rate, 1.0 / max(threads, 1)))
    return max(1, min(threads, wanted))


def check_errors(errors: int, max_errors: int | None, error: BaseException) -> None:
    """Raise TooManyErrors once `errors` teacher runs have failed and reached `max_errors`
    (as DSPy's BootstrapFewShot: max_errors=1 stops at the first failure)."""
    if max_errors is not None and errors >= max_errors:
        raise TooManyErrors(
            f"{errors} bootstrapping runs failed (max_errors={max_errors}); "
            f"last: {type(error).__name__}: {error}"
        ) from error


class BootstrapFewShot(Optimizer):
    """`BootstrapFewShot(metric=..., max_bootstrapped_demos=4, max_labeled_demos=16)`.

    Given a `valset=` (not in DSPy), the baseline and the compiled program are also scored on
    it; without one, compiling does DSPy's work, plus, on the embedded model with a closed last
    output, up to 12 calls on training rows the program does not show, to fit its choice
    offsets (`engine.optimizers.calibration._choices`). Teacher calls are the task model's (role
    "task").
    """

    valset_defaults_to_trainset = False
    fits_on_training_rows = True  # no valset: closed choices fitted on unused training rows
    content_free_prior = True  # no metric: the content-free offsets instead
    # the teacher runs made so far, as (the training example's id, round): a random search
    # counts its work by them, and with one teacher tells the runs an earlier seed already made
    # (the LM cache answers those)
    _teacher_rows: tuple[tuple[int, int], ...] = ()

    def __init__(
        self,
        metric: Callable[..., Any] | None = None,
        metric_threshold: float | None = None,
        teacher_settings: dict[str, Any] | None = None,
        max_bootstrapped_demos: int = 4,
        max_labeled_demos: int = 16,
        max_rounds: int = 1,
        max_errors: int | None = None,
        *,
        num_threads: int | None = None,
    ) -> None:
        self.metric = metric
        self.metric_threshold = metric_threshold
        self.teacher_settings = dict(teacher_settings or {})
        self.max_bootstrapped_demos = max_bootstrapped_demos
        self.max_labeled_demos = max_labeled_demos
        self.max_rounds = max_rounds
        self.max_errors = max_errors
        self.num_threads = num_threads

    # -- estimate ---------------------------------------------------------------------------
    def _estimate(self, work: Workload) -> Estimate:
        trainset, valset, per_example = work.trainset, work.valset, work.per_example
        boot = bootstrap_calls(
            len(trainset), self.max_bootstrapped_demos, self.max_rounds, per_example
        )
        demos = min(max(self.max_labeled_demos, self.max_bootstrapped_demos), len(trainset))
        tokens = boot * tokens_per_call(trainset, min(self.max_labeled_demos, len(trainset)))
        calls, trials = boot, 0
        if self.metric is not None and valset:
            scoring_calls, scoring_tokens = baseline_and_result_scoring(valset, per_example, demos)
            calls, tokens, trials = calls + scoring_calls, tokens + scoring_tokens, 2
        notes = (
            f"bootstrapping assumes {ASSUMED_SUCCESS_RATE:.0%} of teacher runs pass the metric; "
            "baseline and compiled program scored on the valset"
        )
        return Estimate({"task": calls}, tokens, trials, notes)

    # -- compile ----------------------------------------------------------------------------
    def _compile(self, job: CompileJob) -> Any:
        student, trainset, valset, runner = job.student, job.trainset, job.valset, job.runner
        teacher = job.teacher
        parents = [Candidate.from_program(student).hash]
        program = self.bootstrap(
            student, trainset, teacher=teacher, runner=runner, seed=("bootstrap",)
        )
        origin = f"bootstrap ({describe_demos(program)})"
        if self.metric is not None and valset:
            runner.run.recorder.phase(
                "evaluating candidates",
                f"the compiled program on {len(valset)} validation examples",
            )
            runner.evaluate(program, valset, subset="val", parents=parents, origin=origin)
        else:
            runner.register(program, parents, origin)
        return program

    def bootstrap(
        self,
        student: Any,
        trainset: list[Any],
        *,
        teacher: Any,
        runner: TrialRunner,
        seed: tuple = (),
        ahead: bool = False,
    ) -> Any:
        """A copy of `student` with bootstrapped demos, filled up with labeled ones. `ahead`:
        built while another candidate is scored, so announced in a log line, not as the phase."""
        run = runner.run
        program = student.reset_copy()
        names = [name for name, _ in program.named_predictors()]
        teacher_program = self.prepare_teacher(student, teacher, trainset, run.seed)
        teacher_names = [name for name, _ in teacher_program.named_predictors()]
        if teacher_names != names:
            raise ValueError(f"teacher and student differ in structure: {teacher_names} vs {names}")
        detail = (
            f"teacher runs on up to {len(trainset)} training examples for "
            f"{self.max_bootstrapped_demos} demos; these calls count as role task"
        )
        if ahead:
            run.recorder.log(f"bootstrapping the next candidate ahead: {detail}")
        else:
            run.recorder.phase("bootstrapping demos", detail)
        found = (
            self._collect(teacher_program, trainset, runner)
            if self.max_bootstrapped_demos > 0
            else {}
        )
        self.set_demos(program, trainset, found, run.seed)
        run.recorder.log(
            f"bootstrapped {len(found)} demos from {len(trainset)} training examples "
            f"(seed {seed[-1] if seed else ''})"
        )
        return program

    def set_demos(
        self, program: Any, trainset: list[Any], found: dict[int, list[TraceStep]], run_seed: int
    ) -> None:
        """Give each predictor of `program` the accepted traces (`found`: {trainset index:
        trace}, taken in index order) as demos, filled up with labeled ones drawn as DSPy
        draws them: the rest shuffled, then sampled."""
        traces: dict[str, list[Example]] = {name: [] for name, _ in program.named_predictors()}
        for index in sorted(found):
            for name, inputs, outputs in found[index]:
                if name in traces:
                    traces[name].append(Example(augmented=True, **inputs, **outputs))
        rest = [ex for i, ex in enumerate(trainset) if i not in found]
        labeled_rng(run_seed).shuffle(rest)
        rng = labeled_rng(run_seed)
        for name, predictor in program.named_predictors():
            augmented = traces[name][: self.max_bootstrapped_demos]
            size = max(0, min(self.max_labeled_demos - len(augmented), len(rest)))
            predictor.demos = augmented + [ex.copy() for ex in rng.sample(rest, size)]

    def prepare_teacher(
        self, student: Any, teacher: Any, trainset: list[Any], run_seed: int
    ) -> Any:
        """The teacher: given, or the student with LabeledFewShot's demos (DSPy's draw)."""
        program = teacher.deepcopy() if teacher is not None else student.reset_copy()
        has_demos = any(p.demos for p in program.predictors())
        if self.max_labeled_demos and not has_demos:
            set_labeled_demos(program, trainset, self.max_labeled_demos, labeled_rng(run_seed))
        return program

    def error_limit(self) -> int | None:
        """How many teacher runs may fail before bootstrapping stops (`max_errors`, else the
        settings')."""
        return self.max_errors if self.max_errors is not None else settings.max_errors

    def _collect(
        self, teacher: Any, trainset: list[Any], runner: TrialRunner
    ) -> dict[int, list[TraceStep]]:
        """Run the teacher in batches until enough examples succeed; {example index: trace}."""
        max_errors = self.error_limit()
        found: dict[int, list[TraceStep]] = {}
        errors, start = 0, 0
        offload = self._offload(runner, teacher)
        with settings.context(lm_role="task", **self.teacher_settings):
            threads = lm_threads(self.num_threads)
            while start < len(trainset) and len(found) < self.max_bootstrapped_demos:
                runner.run.check_cancel()
                need = self.max_bootstrapped_demos - len(found)
                size = batch_size(need, len(found), start, threads)
                pending = list(range(start, min(len(trainset), start + size)))
                start = pending[-1] + 1
                for round_index in range(max(1, self.max_rounds)):
                    self._teacher_rows += tuple((id(trainset[i]), round_index) for i in pending)
                    job = TeacherJob(
                        teacher, trainset, round_index, self.metric, self.metric_threshold
                    )
                    outcomes = parallel_map(job, pending, threads, offload=offload)
                    retry = []
                    for index, (trace, error) in zip(pending, outcomes, strict=True):
                        if isinstance(error, BudgetExhausted):
                            raise error
                        if error is not None:
                            errors += 1
                            check_errors(errors, max_errors, error)
                        if trace is None:
                            retry.append(index)
                        else:
                            found[index] = trace
                    pending = retry
                    if not pending:
                        break
        # a batch may succeed more often than needed: keep the first ones in example order
        return {i: found[i] for i in sorted(found)[: self.max_bootstrapped_demos]}

    def _offload(self, runner: TrialRunner, teacher: Any) -> Any:
        """The run's pool of other processes (`RunContext.row_pool`) for the teacher's runs,
        or None (this process): also None when the teacher has settings or a model of its
        own, which the pool's processes do not hold."""
        if self.teacher_settings or any(p.lm is not None for p in teacher.predictors()):
            return None
        return runner.run.row_pool


class TeacherJob:
    """The teacher's run on one training example (by index) in one round: a plain object, so
    that a pool in other processes (`RunContext.row_pool`) can be sent it, like trial rows."""

    def __init__(
        self, teacher: Any, trainset: list[Any], round_index: int, metric: Any,
        threshold: float | None,
    ) -> None:  # fmt: skip
        self.teacher, self.trainset, self.round_index = teacher, trainset, round_index
        self.metric, self.threshold = metric, threshold

    def __call__(self, index: int) -> list[TraceStep] | None:
        with settings.context(lm_role="task"):
            return teacher_trace(
                self.teacher, self.trainset, index, self.round_index, self.metric,
                self.threshold,
            )  # fmt: skip


def teacher_trace(
    teacher: Any, trainset: list[Any], index: int, round_index: int, metric: Any,
    threshold: float | None,
) -> list[TraceStep] | None:  # fmt: skip
    """Run the teacher on one example (without itself as a demo); its trace if `metric`
    accepts it (a score of at least `threshold`, else a true one)."""
    example = trainset[index]
    program = teacher.deepcopy()
    for predictor in program.predictors():
        predictor.demos = [demo for demo in predictor.demos if demo != example]
        if round_index > 0:
            lm = resolve_lm(predictor.lm)
            predictor.lm = lm.copy(temperature=1.0, rollout_id=round_index)
    paths = {id(p): name for name, p in program.named_predictors()}
    inputs = dict(example.inputs().items())
    with settings.context(trace=[]):
        prediction = program(**inputs)
        trace = list(settings.trace)
    if metric is not None:
        value = call_metric(metric, example, prediction, trace)
        score, _ = score_of(value)
        accepted = score >= threshold if threshold is not None else bool(score)
        if not accepted:
            return None
    return [
        (paths.get(id(p), ""), dict(step_inputs), dict(pred.items()))
        for p, step_inputs, pred in trace
    ]


def describe_demos(program: Any) -> str:
    """The demos `program` carries, counted over its predictors: "2 bootstrapped + 4 labeled
    demos" (what a candidate holds, not the optimizer's upper bounds)."""
    demos = [demo for predictor in program.predictors() for demo in predictor.demos]
    bootstrapped = sum(1 for demo in demos if demo.get("augmented", False))
    return f"{bootstrapped} bootstrapped + {len(demos) - bootstrapped} labeled demos"
