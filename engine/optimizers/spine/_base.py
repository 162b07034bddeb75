"""The optimizer template: RunContext, OptimizationResult and the Optimizer base class.

`Optimizer.compile` wraps each optimizer's `_compile` with what every run shares: a RunContext,
the usage ledger and budget installed on the settings, the baseline trial, the events
run_started / run_finished / run_failed, a clean end on budget exhaustion or cancel (returning
the best program so far), and `compiled.result`.
"""

from __future__ import annotations

import hashlib
import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from engine.core import BudgetExhausted, SearchSettled, with_callbacks_once
from engine.optimizers.spine._budget import (
    AT_MOST_NOTE,
    Estimate,
    Workload,
    calls_per_run,
    counted_at_most,
)
from engine.optimizers.spine._candidate import Candidate
from engine.optimizers.spine._context import RunCancelled, RunContext, start_kept_reason
from engine.optimizers.spine._events import Event, logging_sink
from engine.optimizers.spine._one_line_fit import fit_one_line_outputs
from engine.optimizers.spine._post_compile import post_compile_steps
from engine.optimizers.spine._trial import Trial
from engine.optimizers.spine._trials import TrialRunner

logger = logging.getLogger(__name__)

__all__ = ["CompileJob", "OptimizationResult", "Optimizer", "derive_seed"]


def derive_seed(*parts: Any) -> int:
    """A deterministic integer seed from any parts (stable across processes and platforms)."""
    return int(hashlib.sha256(repr(parts).encode()).hexdigest()[:12], 16)


@dataclass
class CompileJob:
    """What `Optimizer._compile` works on. `valset` is what candidates are scored on
    (`Optimizer.effective_valset`); `options` are any other keywords given to `compile`;
    `estimate` is the run's own (`Optimizer.estimate`, made as it started)."""

    student: Any
    trainset: list[Any]
    valset: list[Any]
    teacher: Any
    runner: TrialRunner
    options: dict[str, Any] = field(default_factory=dict)
    estimate: Estimate | None = None


@dataclass
class OptimizationResult:
    """What a run produced; the same data the run store holds. Attached as `compiled.result`."""

    trials: list[Trial]
    candidates: list[Candidate]
    baseline_score: float | None
    best_score: float | None
    best_candidate: str | None
    usage: dict[str, Any]
    estimate: Estimate
    status: str
    events: list[Event]
    details: dict[str, Any] | None = None  # an optimizer's own detailed results (GEPA's)

    def actual_calls(self) -> dict[str, int]:
        """LM calls made in this run, by role (cache hits included)."""
        return {role: totals["calls"] for role, totals in self.usage.get("by_role", {}).items()}

    def estimate_vs_actual(self) -> dict[str, dict[str, int]]:
        actual = self.actual_calls()
        roles = sorted(set(actual) | set(self.estimate.calls))
        return {
            r: {"estimate": self.estimate.calls.get(r, 0), "actual": actual.get(r, 0)}
            for r in roles
        }


class Optimizer:
    """Base of every optimizer: `Opt(metric=..., **hyper).compile(student, *, trainset, ...)`.

    Subclasses implement `_compile(job)` (returning the compiled program; every evaluation
    through `job.runner`) and `_estimate(work)`.
    """

    metric: Callable[..., Any] | None = None
    # A metric is needed to compile (it may be left out of the constructor and set as
    # `.metric` before compile, as tools built on DSPy do: the seed documents' `COPRO()`)
    requires_metric: bool = False
    num_threads: int | None = None
    max_errors: int | None = None
    uses_valset: bool = True  # whether compile scores the baseline and candidates on the valset
    # Without a valset, score on the trainset (random search, as in DSPy) or not at all
    # (LabeledFewShot, BootstrapFewShot: DSPy's take no valset, so they do no scoring work).
    valset_defaults_to_trainset: bool = True
    # Fit offsets to the chosen program's closed choices from its validation rows (a small
    # valset topped up with unused training rows), as a last step
    # (engine.optimizers.calibration._choices).
    calibrates_choices: bool = True
    # With no valset, fit them on training rows the program does not show as demos instead
    # (only where the compiled program's demos are fixed: not KNNFewShot's, chosen per input).
    fits_on_training_rows: bool = False
    # With no labelled rows to fit on, give the choice its content-free offsets (one LM call;
    # engine.optimizers.calibration). Only where the compiled program's demos are fixed.
    content_free_prior: bool = False
    # Score the search's candidates as choice calibration would leave them: each validation
    # row answered with offsets fitted on the trial's other rows (cross-fitted, from the scores
    # the rows already hold: no LM call), so an instruction is judged after calibration, not by
    # a constant raw label (engine.optimizers.calibration._cross_fit). Needs calibrates_choices.
    # Off by default: measured on the embedded model (bench/results/proposer-yield.md) it broke
    # the ties but gained no clear held-out accuracy (+1.9 points [-2.2, +5.9] over 16 runs)
    # and, with racing off, took up to 2.5x the time.
    calibrated_search: bool = False

    def effective_valset(self, trainset: list[Any], valset: list[Any] | None) -> list[Any]:
        """The examples candidates are scored on: the valset, or without one the trainset or
        nothing (see `valset_defaults_to_trainset`)."""
        if valset is not None:
            return list(valset)
        return list(trainset) if self.valset_defaults_to_trainset else []

    def check_settings(
        self, trainset: list[Any], valset: list[Any] | None = None, *, student: Any = None
    ) -> list[str]:
        """What `compile` would refuse for these data sizes, one sentence a person can act on
        per problem (none by default). The pre-flight shows them before a run starts; spec
        keys are named in backticks (`max_metric_calls`), after the words the form uses."""
        return []

    def params(self) -> dict[str, Any]:
        """Hyperparameters for the run_started event (the metric by name)."""
        return {
            key: getattr(value, "__name__", type(value).__name__) if callable(value) else value
            for key, value in vars(self).items()
            if not key.startswith("_")
        }

    def estimate(
        self,
        trainset: list[Any],
        valset: list[Any] | None = None,
        *,
        student: Any = None,
        seed: int = 0,
        pilot: Any = None,
    ) -> Estimate:
        """Forecast the run's LM calls (by role), tokens and trials for these data sizes.

        `student` refines it (calls per example = `calls_per_run(student)`, an upper bound
        when a step tries several answers); `seed` is the run's seed; `pilot` (`PilotFigures`,
        from `engine.optimizers.spine._pilot.run_pilot`) replaces assumed figures by measured ones
        where the optimizer's forecast reads them (GEPA, SIMBA).
        """
        work = Workload(
            trainset=list(trainset),
            valset=self.effective_valset(trainset, valset),
            per_example=calls_per_run(student),
            student_has_demos=student is not None and any(p.demos for p in student.predictors()),
            seed=seed,
            student=student,
            pilot=pilot,
        )
        estimate = self._estimate(work)
        for step in post_compile_steps():
            step.note(self, estimate, student, work.trainset, work.valset)
        if counted_at_most(student) and pilot is None:  # a pilot measured the calls per run
            estimate.notes = "; ".join(n for n in (estimate.notes, AT_MOST_NOTE) if n)
        return estimate

    def pilot_plan(
        self, trainset: list[Any], rows: int, seed: int = 0
    ) -> tuple[list[Any], list[Any], int]:
        """What a pilot should run: (training examples this optimizer's run will score the
        student on first, so the run gets the pilot's calls from the cache; the examples to run
        its sampled rollouts on; how many rollouts). Default: the first `rows`, no rollouts."""
        return list(trainset[: max(0, rows)]), [], 0

    def pilot_rollout(self, student: Any, rollout: int) -> Any:
        """The program a pilot runs as sampled rollout number `rollout` (only called when
        `pilot_plan` asks for rollouts)."""
        raise NotImplementedError(f"{type(self).__name__} samples no rollouts")

    def pilot_rules(
        self, student: Any, examples: list[Any], plain: Any, variants: list[Any]
    ) -> tuple[int, int]:
        """What a pilot measures of rules this optimizer writes: (written, kept by the
        cleaning). Default: it writes none."""
        return 0, 0

    def pilot_addition(self, student: Any, plain: Any, variants: list[Any]) -> Any | None:
        """The program this optimizer's run would likely build first by adding to the student
        (a demo, say), for the pilot to score on its rows; None (the default): none."""
        return None

    def _estimate(self, work: Workload) -> Estimate:
        raise NotImplementedError

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own = cls.__dict__.get("compile")
        if own is not None and not getattr(own, "__wrapped_once__", False):
            cls.compile = with_callbacks_once(own)  # callbacks' on_compile_start / end

    @with_callbacks_once
    def compile(
        self,
        student: Any,
        *,
        trainset: list[Any],
        valset: list[Any] | None = None,
        teacher: Any = None,
        run: RunContext | None = None,
        **options: Any,
    ) -> Any:
        """Optimize a copy of `student`; returns the compiled program with `.result`."""
        if self.requires_metric and self.metric is None:
            raise ValueError(
                f"{type(self).__name__} needs a metric: metric(example, prediction, trace=None); "
                "pass metric= or set .metric before compile"
            )
        run = run if run is not None else RunContext()
        trainset = list(trainset)
        valset = self.effective_valset(trainset, valset)
        student = fit_one_line_outputs(student, trainset)
        runner = TrialRunner(
            run, self.metric, self.num_threads, self.max_errors,
            calibrated_search=self.calibrated_search and self.calibrates_choices,
        )  # fmt: skip
        estimate = self.estimate(trainset, valset, student=student, seed=run.seed)
        recorder = run.recorder
        if getattr(self, "verbose", False):  # DSPy's verbose=True: the events, as log lines
            recorder.add_sink(logging_sink())
        status, baseline = "finished", None
        with run.activate():
            recorder.emit(
                "run_started",
                optimizer=type(self).__name__,
                params=self.params(),
                trainset_size=len(trainset),
                valset_size=len(valset),
                estimate=estimate.to_dict(),
            )
            if run.known_trials or run.known_results:
                recorder.log(
                    f"resuming: {len(run.known_trials)} known trials, "
                    f"{len(run.known_results)} known results"
                )
            try:
                if self.metric is not None and self.uses_valset and valset:
                    recorder.phase(
                        "baseline", f"the student as given, on {len(valset)} validation examples"
                    )
                    baseline = runner.evaluate(
                        student,
                        valset,
                        subset="val",
                        origin="baseline (student as given)",
                        track_best=False,
                    )
                job = CompileJob(student, trainset, valset, teacher, runner, options, estimate)
                try:
                    program = self._compile(job)
                except SearchSettled as exc:  # stopped early: the run's last steps still apply
                    program = self._fallback(student, runner)
                    recorder.emit("search_settled", scorings=run.flat, message=str(exc))
                    recorder.log(str(exc))
                for step in post_compile_steps():
                    program = step.apply(self, program, job)
            except BudgetExhausted as exc:
                status, program = "stopped: budget", self._fallback(student, runner)
                recorder.log(f"stopped: {exc}", level="warning")
            except RunCancelled:
                status, program = "cancelled", self._fallback(student, runner)
                recorder.log("cancelled between trials", level="warning")
            except Exception as exc:
                recorder.emit(
                    "run_failed",
                    error=f"{type(exc).__name__}: {exc}",
                    traceback=traceback.format_exc(),
                )
                raise
        best = run.best
        why = start_kept_reason(baseline, best, run.keep_start)
        if why is not None:  # hand back the student as given, and say why
            recorder.log(f"{why}: kept the starting program", level="warning")
            program, best = student.deepcopy(), baseline
        final = Candidate.from_program(program)
        # trials in number order, whatever order a resumed run met them in again (racing
        # scores candidates on threads, so a replay can find them in another order)
        result = OptimizationResult(
            trials=sorted(run.trials, key=lambda t: t.number),
            candidates=list(run.candidates.values()),
            baseline_score=None if baseline is None else baseline.score,
            best_score=None if best is None else best.score,
            best_candidate=best.candidate if best is not None else final.hash,
            usage=run.usage(),
            estimate=estimate,
            status=status,
            events=recorder.events,
            details=self.result_details(),
        )
        run.announce_step(
            "run_finished",
            status=status,
            best_candidate=result.best_candidate,
            best_score=result.best_score,
            baseline_score=result.baseline_score,
            usage=result.usage,
            estimate=estimate.to_dict(),  # as the search left it (`Estimate.done_share`)
        )
        program.result = result
        program._compiled = True  # DSPy's mark of an optimizer's output
        return program

    def _compile(self, job: CompileJob) -> Any:
        raise NotImplementedError

    def result_details(self) -> dict[str, Any] | None:
        """Detailed results of the optimizer's own (None: none beyond trials and candidates)."""
        return None

    @staticmethod
    def _fallback(student: Any, runner: TrialRunner) -> Any:
        """The best program so far, or an untouched copy of the student."""
        best = runner.best_program()
        return best if best is not None else student.deepcopy()
