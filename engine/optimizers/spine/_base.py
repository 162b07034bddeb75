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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import BudgetExhausted, TunesmithError
from engine.evaluate.statistics import paired_comparison
from engine.lm.usage import UsageLedger
from engine.optimizers.spine._budget import (
    AT_MOST_NOTE,
    Budget,
    Estimate,
    Workload,
    calls_per_run,
    counted_at_most,
    failure_guard,
)
from engine.optimizers.calibration._step import calibrated, note_calibration
from engine.optimizers.spine._candidate import Candidate, example_id
from engine.optimizers.spine._events import Event, EventRecorder, logging_sink, step_of
from engine.optimizers.spine._one_line_fit import fit_one_line_outputs
from engine.optimizers.spine._trials import Trial, TrialRunner
from engine.settings import settings

logger = logging.getLogger(__name__)

__all__ = [
    "CompileJob",
    "Optimizer",
    "OptimizationResult",
    "RunCancelled",
    "RunContext",
    "derive_seed",
    "example_id",
]


class RunCancelled(TunesmithError):
    """`should_cancel()` turned true; the run ends between trials with status "cancelled"."""


def derive_seed(*parts: Any) -> int:
    """A deterministic integer seed from any parts (stable across processes and platforms)."""
    return int(hashlib.sha256(repr(parts).encode()).hexdigest()[:12], 16)


KEEP_START_RULES = ("worse", "unreliable")


def start_kept_reason(baseline: Trial | None, best: Trial | None, rule: str) -> str | None:
    """Why the student as given must come back instead of `best` (None: keep `best`)."""
    if rule not in KEEP_START_RULES:
        raise ValueError(f"keep_start must be one of {KEEP_START_RULES}, not {rule!r}")
    if baseline is None or best is None or best.candidate == baseline.candidate:
        return None
    if best.score < baseline.score:
        return (
            f"no candidate beat the starting program on validation (best {best.score:.1%} vs "
            f"{baseline.score:.1%} as given)"
        )
    if rule == "worse":
        return None
    ids = sorted(set(baseline.example_scores) & set(best.example_scores))
    comp = paired_comparison(
        [baseline.example_scores[i] for i in ids], [best.example_scores[i] for i in ids]
    )
    if comp["ci_low"] > 0:
        return None
    return (
        f"no reliable gain on validation: {comp['diff'] * 100:+.1f} points on {comp['n']} "
        f"rows, and its 95% range ({comp['ci_low'] * 100:+.1f} to "
        f"{comp['ci_high'] * 100:+.1f}) includes zero"
    )


@dataclass
class RunContext:
    """Everything one optimization run shares: events, ledger, budget, cancel flag, resume data.

    `known_results` ((candidate hash, example id) -> row) and `known_trials` are prefilled by the
    worker on resume; `known_candidates` (hashes already announced) suppresses repeated
    `candidate` events; `workdir` is where an optimizer may keep files of its own for the run
    (None: keep them in memory). The fields after it are the run's live state.
    """

    recorder: EventRecorder = field(default_factory=EventRecorder)
    ledger: UsageLedger = field(default_factory=UsageLedger)
    budget: Budget | None = None
    should_cancel: Callable[[], bool] | None = None
    known_results: dict[tuple[str, str], dict] = field(default_factory=dict)
    known_trials: list[Trial] = field(default_factory=list)
    seed: int = 0
    known_candidates: set[str] = field(default_factory=set)
    # (event type, step) of search-step events already stored: a resumed search does not
    # announce them twice, and announces every step whose event the killed worker never wrote
    known_steps: set[tuple[str, str]] = field(default_factory=set)
    workdir: Path | None = None  # a folder of this run's own (e.g. MIPROv2's Optuna study)
    # when the student as given comes back instead of the best candidate: "worse" (every
    # candidate scored below it on validation) or "unreliable" (also when the best one's gain
    # on validation is within its noise: the paired 95% range of the gain includes 0)
    keep_start: str = "worse"
    # live state
    results: dict[tuple[str, str], dict] = field(init=False, repr=False)
    trials: list[Trial] = field(init=False, repr=False)
    candidates: dict[str, Candidate] = field(init=False, repr=False)
    programs: dict[str, Any] = field(init=False, repr=False)
    replayed: set[int] = field(init=False, repr=False)
    eligible: set[str] = field(init=False, repr=False)
    best: Trial | None = field(init=False, default=None, repr=False)

    def __post_init__(self) -> None:
        self.results = dict(self.known_results)
        self.trials = []
        self.candidates = {}
        self.programs = {}
        self.replayed = set()
        self.eligible = set()
        self._known = {t.key(): t for t in self.known_trials}
        self._session: dict[tuple, Trial] = {}
        self.known_candidates = set(self.known_candidates) | {
            t.candidate for t in self.known_trials
        }

    # -- settings ---------------------------------------------------------------------------
    @contextmanager
    def activate(self) -> Iterator[None]:
        """Install the run's ledger (and budget, if any) on the settings for this block."""
        trackers = settings.usage_trackers
        if not any(t is self.ledger for t in trackers):
            trackers = (*trackers, self.ledger)
        budget = self.budget if self.budget is not None else settings.budget
        if self.budget is not None:
            self.budget.attach(self.ledger)
        with settings.context(usage_trackers=trackers, budget=budget), failure_guard():
            yield

    def check_cancel(self) -> None:
        if self.should_cancel is not None and self.should_cancel():
            raise RunCancelled("the run was cancelled")

    # -- candidates and trials --------------------------------------------------------------
    def add_candidate(self, candidate: Candidate, program: Any = None) -> Candidate:
        """Register a candidate (first registration wins); emits `candidate` once per hash."""
        existing = self.candidates.get(candidate.hash)
        if existing is not None:
            return existing
        self.candidates[candidate.hash] = candidate
        if program is not None:
            self.programs[candidate.hash] = program.deepcopy()
        if candidate.hash not in self.known_candidates:
            self.recorder.emit(
                "candidate",
                hash=candidate.hash,
                parents=candidate.parents,
                origin=candidate.origin,
                state=candidate.state,
            )
        return candidate

    def announce_step(self, type: str, **data: Any) -> None:  # noqa: A002
        """Emit a search-step event (`reflection`, `simba_step`) unless a killed worker of this
        run stored it already (`events.step_of` names the step)."""
        if (type, step_of(type, data)) not in self.known_steps:
            self.recorder.emit(type, **data)

    def find_trial(self, key: tuple) -> Trial | None:
        """A trial with this key done earlier in this session, or a known one (now replayed)."""
        if key in self._session:
            return self._session[key]
        known = self._known.get(key)
        if known is not None:
            self._session[key] = known
            self.replayed.add(known.number)
            self.trials.append(known)
        return known

    def next_trial_number(self) -> int:
        numbers = [t.number for t in self.known_trials] + [t.number for t in self.trials]
        return max(numbers, default=0) + 1

    def record_trial(self, trial: Trial) -> None:
        """Add a newly evaluated trial to the run."""
        self.trials.append(trial)
        self._session[trial.key()] = trial

    def usage(self) -> dict[str, Any]:
        """UsageTotals of the run so far plus {"by_role": {role: totals}}."""
        by_role = {role: t.to_dict() for role, t in self.ledger.by_role().items()}
        return {**self.ledger.totals().to_dict(), "by_role": by_role}

    def emit_usage(self) -> Event:
        return self.recorder.emit("lm_usage", **self.usage())


@dataclass
class CompileJob:
    """What `Optimizer._compile` works on. `valset` is what candidates are scored on
    (`Optimizer.effective_valset`); `options` are any other keywords given to `compile`."""

    student: Any
    trainset: list[Any]
    valset: list[Any]
    teacher: Any
    runner: TrialRunner
    options: dict[str, Any] = field(default_factory=dict)


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
    # engine.optimizers.calibration._content_free). Only where the compiled program's demos are fixed.
    content_free_prior: bool = False

    def effective_valset(self, trainset: list[Any], valset: list[Any] | None) -> list[Any]:
        """The examples candidates are scored on: the valset, or without one the trainset or
        nothing (see `valset_defaults_to_trainset`)."""
        if valset is not None:
            return list(valset)
        return list(trainset) if self.valset_defaults_to_trainset else []

    def params(self) -> dict[str, Any]:
        """Hyperparameters for the run_started event (the metric by name)."""
        out = {}
        for key, value in vars(self).items():
            if key.startswith("_"):
                continue
            if callable(value):
                value = getattr(value, "__name__", type(value).__name__)
            out[key] = value
        return out

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
        note_calibration(self, estimate, student, work.trainset, work.valset)
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

    def _estimate(self, work: Workload) -> Estimate:
        raise NotImplementedError

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
        run = run if run is not None else RunContext()
        trainset = list(trainset)
        valset = self.effective_valset(trainset, valset)
        student = fit_one_line_outputs(student, trainset)
        runner = TrialRunner(run, self.metric, self.num_threads, self.max_errors)
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
                job = CompileJob(student, trainset, valset, teacher, runner, options)
                program = calibrated(self, self._compile(job), job)
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
        result = OptimizationResult(
            trials=list(run.trials),
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
        recorder.emit(
            "run_finished",
            status=status,
            best_candidate=result.best_candidate,
            best_score=result.best_score,
            baseline_score=result.baseline_score,
            usage=result.usage,
        )
        program.result = result
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
