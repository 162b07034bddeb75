"""The run context: everything one optimization run shares (events, ledger, budget, cancel
flag, resume data) and the rule for handing back the student as given."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.core import TunesmithError, settings
from engine.evaluate.statistics import paired_by_id, points, verdict
from engine.lm.budget import Budget, failure_guard
from engine.lm.usage import UsageLedger
from engine.optimizers.spine._candidate import Candidate
from engine.optimizers.spine._events import Event, EventRecorder, step_of
from engine.optimizers.spine._trial import Trial


class RunCancelled(TunesmithError):
    """`should_cancel()` turned true; the run ends between trials with status "cancelled"."""


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
    comp = paired_by_id(baseline.example_scores, best.example_scores)
    if comp is None:
        return None
    said = verdict(comp)
    if said.kind == "gain":
        return None
    return (
        f"no clear gain on validation: {points(said.diff)} points on {said.n} rows, "
        f"{said.words} ({said.range_text})"
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
    # a shared database for the run's own records (a SQLAlchemy URL: MIPROv2's Optuna study goes
    # there instead of the workdir, so any machine can resume it) and the run's name in it
    study_storage: str | None = None
    run_name: str = ""
    # where rows are evaluated: None on this process's threads, else a pool elsewhere (Ray
    # actors, `engine.runs.cluster._pool`); the rows come back here, and only here are they stored
    row_pool: Any = None
    # when the student as given comes back instead of the best candidate: "worse" (every
    # candidate scored below it on validation) or "unreliable" (also when the best one's gain
    # on validation is within its noise: the paired 95% range of the gain includes 0)
    keep_start: str = "worse"
    # stop the search when this many validation scorings in a row did not beat the best one
    # (None: never); the program then comes back as at the end of a search
    stop_when_flat: int | None = None
    # stop the search when the rest of the call budget has less than this chance of beating
    # the best validation score, given the spread of the scorings so far (None: never;
    # engine.optimizers.spine._out_of_reach)
    stop_when_out_of_reach: float | None = None
    # live state
    results: dict[tuple[str, str], dict] = field(init=False, repr=False)
    trials: list[Trial] = field(init=False, repr=False)
    candidates: dict[str, Candidate] = field(init=False, repr=False)
    programs: dict[str, Any] = field(init=False, repr=False)
    replayed: set[int] = field(init=False, repr=False)
    eligible: set[str] = field(init=False, repr=False)
    best: Trial | None = field(init=False, default=None, repr=False)
    flat: int = field(init=False, default=0, repr=False)  # scorings since the best last moved
    settled: bool = field(init=False, default=False, repr=False)

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


