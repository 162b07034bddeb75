"""Trials and the trial runner: the one place where optimizers evaluate candidates.

The runner evaluates one candidate's examples back to back (they share the system message and
demos, so the local model reuses its prompt prefix), never evaluates a (candidate, example) pair
twice in a run, numbers trials, tracks the best candidate and replays known trials on resume.

Racing (`evaluate(..., race=True)`): a candidate stops being evaluated as soon as it cannot beat
the best trial on the same examples, even if every remaining example scored 1 (the metric's
maximum). Since the first best wins ties, this never changes which candidate is chosen; the
partial evaluation is kept as a "minibatch" trial, which can never become the best.

Calibrated search (`calibrated_search=True`, `engine.optimizers.spine._search_scoring`): where a
registered scoring applies to the program (cross-fitted choice calibration: a closed last
output on the embedded model), a search trial is scored on the rows it gives, and racing is off
for that program (a raw row score bounds nothing once rows are rescored).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from engine.core import SearchSettled, lm_threads, settings
from engine.evaluate.evaluate import EvalRow, TooManyErrors
from engine.evaluate.scoring import MetricOutputError
from engine.lm.usage import UsageLedger
from engine.optimizers.spine._candidate import Candidate, example_id
from engine.optimizers.spine._context import RunContext
from engine.optimizers.spine._out_of_reach import calls_left, out_of_reach
from engine.optimizers.spine._search_scoring import (
    CHANGED_MARK,
    RESCORED_SUBSETS,
    SearchScoring,
    search_scoring_for,
)
from engine.optimizers.spine._trial import (
    BEST_SUBSETS,
    PARTIAL_SUBSET,
    Trial,
    constraint_failures,
    trial_key,
    usage_of,
)
from engine.optimizers.spine._trial_rows import RaceTarget, fill_rows

METRIC_OUTPUT_FAILURE = f"metric failed: {MetricOutputError.__name__}:"


class TrialRunner:
    """Evaluates programs on subsets of examples within one RunContext.

    `evaluate(program, examples, subset="val")` returns a Trial. Results are cached per
    (candidate hash, example id) in `run.results` (prefilled from `run.known_results`), so a
    pair is never evaluated twice; a trial identical to an earlier or known one is returned
    without a new number or event. Raises BudgetExhausted (after keeping finished rows) and
    RunCancelled (before starting) for the optimizer template to turn into a clean end.
    """

    def __init__(
        self,
        run: RunContext,
        metric: Callable[..., Any] | None,
        num_threads: int | None = None,
        max_errors: int | None = None,
        calibrated_search: bool = False,
    ) -> None:
        self.run = run
        self.metric = metric
        self.num_threads = num_threads
        self.max_errors = max_errors
        self.calibrated_search = calibrated_search
        self._metric_checked = False
        self._prefilled: dict[str, tuple[list[Any], float]] = {}  # hash -> (calls, seconds)
        self._ahead_sums: dict[int, tuple[list[str], float | None]] = {}  # order -> (ids, sum)
        self._lock = threading.Lock()

    # -- candidates ---------------------------------------------------------------------------
    def register(self, program: Any, parents: Iterable[str] = (), origin: str = "") -> Candidate:
        """The candidate of `program`'s state; announced with a `candidate` event if new."""
        candidate = Candidate.from_program(program, list(parents), origin)
        return self.run.add_candidate(candidate, program)

    # -- evaluation ---------------------------------------------------------------------------
    def evaluate(
        self,
        program: Any,
        examples: list[Any],
        *,
        subset: str = "val",
        parents: Iterable[str] = (),
        origin: str = "",
        track_best: bool = True,
        race: bool = False,
        enough: Callable[[float | None], bool] | None = None,
    ) -> Trial:
        """Score `program` on `examples`; a trial on "val"/"full" may become the best.

        With `race=True` the evaluation stops once the candidate cannot beat the best trial on
        these examples; with `enough`, once `enough(score sum so far)` holds (None when a score
        fell outside [0, 1]). The returned trial is then a partial one (subset "minibatch").
        """
        run = self.run
        candidate = self.register(program, parents, origin)
        ids = [example_id(e) for e in examples]
        existing = run.find_trial(trial_key(candidate.hash, subset, ids))
        if existing is not None:
            self._track(existing, track_best, silent=existing.number in run.replayed)
            return existing
        run.check_cancel()
        start, calls = time.perf_counter(), UsageLedger()  # this trial's calls only (others,
        # such as a candidate built ahead, may run meanwhile: engine.optimizers.spine._build_ahead)
        ahead_calls, ahead_seconds = self._prefilled.pop(candidate.hash, ([], 0.0))
        scoring = self._scoring(program, subset, len(set(ids)))
        target = self._race(subset, ids) if race and track_best and scoring is None else None
        stop = threading.Event()

        def heard(total: float | None) -> None:  # the score sum so far, after every row
            if enough is not None and enough(total):
                stop.set()

        with settings.context(usage_trackers=(*settings.usage_trackers, calls)):
            progress = None if enough is None else heard
            pruned = self._fill(program, candidate.hash, examples, ids, target, stop, progress)
        cut = stop.is_set() and any((candidate.hash, i) not in run.results for i in ids)
        if pruned or cut:
            ids = [i for i in ids if (candidate.hash, i) in run.results]
            subset, track_best = PARTIAL_SUBSET, False
            existing = run.find_trial(trial_key(candidate.hash, subset, ids))
            if existing is not None:
                return existing
        rows = [{**run.results[(candidate.hash, ex_id)], "index": i} for i, ex_id in enumerate(ids)]
        if scoring is not None:
            rows = self._rescored(scoring, program, examples, rows, origin or candidate.hash)
        errors = sum(1 for r in rows if r["error"])
        max_errors = self.max_errors if self.max_errors is not None else settings.max_errors
        if max_errors is not None and errors > max_errors:
            raise TooManyErrors(
                f"{errors} of {len(rows)} examples failed (max_errors={max_errors})"
            )
        trial = Trial(
            number=run.next_trial_number(),
            candidate=candidate.hash,
            subset=subset,
            score=sum(r["score"] for r in rows) / len(rows) if rows else 0.0,
            example_scores={r["example_id"]: r["score"] for r in rows},
            usage=usage_of(ahead_calls + calls.records),
            wall_time=round(time.perf_counter() - start + ahead_seconds, 4),
            n=len(rows),
            errors=errors,
            rows=rows,
            constraint_failures=constraint_failures(rows),
        )
        run.record_trial(trial)
        run.recorder.emit("trial", **trial.to_dict())
        if pruned:
            best = "" if run.best is None else f" ({run.best.score:.3f})"
            run.recorder.log(
                f"stopped evaluating {origin or candidate.hash} after {len(rows)} of "
                f"{len(examples)} examples: it can no longer beat the best{best}"
            )
        self._track(trial, track_best, silent=False)
        run.emit_usage()
        if pruned and run.best is not None:  # raced out: a scoring that did not beat the best
            self._settle(run.best)
        return trial

    def prefill(
        self,
        program: Any,
        examples: list[Any],
        *,
        race: bool,
        stop: threading.Event,
        order: int,
        origin: str = "",
    ) -> None:
        """Evaluate `program`'s rows on `examples` ("val") ahead of its `evaluate`, which then
        finds them cached; used while earlier candidates are still being scored. Records no
        trial and announces nothing; `stop` stops dispatching. The calls and seconds spent are
        added to the candidate's trial.

        With `race`, stops once the candidate cannot beat the best trial (re-read as trials are
        recorded) nor the score sum so far of a candidate scored ahead of it on the same
        examples (`order` is the search's order: the earlier candidate's final sum is at least
        that, for scores in [0, 1], and the first best wins ties), as one at a time would."""
        cand_hash = Candidate.from_program(program).hash
        ids = [example_id(e) for e in examples]
        if self.run.find_trial(trial_key(cand_hash, "val", ids)) is not None:
            return
        self.run.recorder.log(
            f"scoring {origin or cand_hash} ahead on {len(examples)} validation examples"
        )
        start, calls = time.perf_counter(), UsageLedger()
        try:
            with settings.context(usage_trackers=(*settings.usage_trackers, calls)):
                race = race and self._scoring(program, "val", len(set(ids))) is None
                target = self._race_ahead(ids, order) if race else None
                progress = self._sums(ids, order) if race else None
                self._fill(program, cand_hash, examples, ids, target, stop, progress)
        finally:
            with self._lock:
                before, seconds = self._prefilled.get(cand_hash, ([], 0.0))
                spent = time.perf_counter() - start
                self._prefilled[cand_hash] = (before + calls.records, seconds + spent)

    def _scoring(self, program: Any, subset: str, rows: int) -> SearchScoring | None:
        """The scoring of this search trial (of `rows` examples), when calibrated search is on
        and one applies."""
        if not self.calibrated_search or self.metric is None or subset not in RESCORED_SUBSETS:
            return None
        return search_scoring_for(program, rows)

    def _rescored(
        self,
        scoring: SearchScoring,
        program: Any,
        examples: list[Any],
        rows: list[dict[str, Any]],
        name: str,
    ) -> list[dict[str, Any]]:
        """`rows` as `scoring` scores them (as they are when it declines), with a log line
        saying what it changed."""
        by_id = {example_id(e): e for e in examples}
        rescored = scoring.rescore(program, [by_id[r["example_id"]] for r in rows], rows,
                                   self.metric)  # fmt: skip
        if rescored is None:
            return rows
        raw, now = (sum(r["score"] for r in rs) / len(rs) for rs in (rows, rescored))
        changed = sum(1 for r in rescored if CHANGED_MARK in ((r.get("trace") or [{}])[0]))
        self.run.recorder.log(
            f"{scoring.name}: {name} scored {raw:.3f} -> {now:.3f} on {len(rows)} rows "
            f"({changed} answers changed)"
        )
        return rescored

    def _fill(
        self,
        program: Any,
        cand_hash: str,
        examples: list[Any],
        ids: list[str],
        target: RaceTarget | None,
        stop: threading.Event | None = None,
        progress: Callable[[float | None], None] | None = None,
    ) -> bool:
        return fill_rows(
            self.run, self.metric, lm_threads(self.num_threads), program, cand_hash, examples,
            ids, target=target, check_row=self._metric_output_error, stop=stop,
            progress=progress,
        )  # fmt: skip

    def _sums(self, ids: list[str], order: int) -> Callable[[float | None], None]:
        """Where a candidate scored ahead reports its score sum so far."""

        def report(total: float | None) -> None:
            self._ahead_sums[order] = (ids, total)

        return report

    def _race_ahead(self, ids: list[str], order: int) -> RaceTarget:
        """The best trial's target, or the largest sum so far of an earlier candidate scored
        ahead on the same examples, whichever is higher."""
        best = self._race("val", ids)

        def target() -> float | None:
            sums = [
                total
                for earlier, (on, total) in list(self._ahead_sums.items())
                if earlier < order and total is not None and on == ids
            ]
            goals = [g for g in (best(), max(sums, default=None)) if g is not None]
            return max(goals, default=None)

        return target

    def _metric_output_error(self, row: EvalRow | None) -> MetricOutputError | None:
        """The run's first scored example decides whether the metric's output is usable: a
        metric that returns neither a score nor a score with feedback ends the run there,
        with what it returned (later such rows only fail their example)."""
        if self._metric_checked or row is None:
            return None
        self._metric_checked = True
        if (row.error or "").startswith(METRIC_OUTPUT_FAILURE):
            return MetricOutputError(row.error.removeprefix(METRIC_OUTPUT_FAILURE).strip())
        return None

    def _race(self, subset: str, ids: list[str]) -> RaceTarget:
        """The score sum a raced candidate must beat, read when asked: the best trial's, if it
        is on these examples (else None: nothing to race against yet)."""
        wanted = set(ids)

        def target() -> float | None:
            best = self.run.best
            if best is None or best.subset != subset or best.n != len(ids):
                return None
            return best.score * best.n if set(best.example_scores) == wanted else None

        return target

    # -- best tracking ------------------------------------------------------------------------
    def prefer(self, trial: Trial) -> None:
        """Make `trial` the best also where it only ties the best: the program a run's last
        step keeps for reasons beyond the valset (choice calibration fitted on more rows)."""
        self._track(trial, True, silent=False, ties=True)

    def _track(self, trial: Trial, track_best: bool, silent: bool, ties: bool = False) -> None:
        run = self.run
        if not track_best or trial.subset not in BEST_SUBSETS:
            return
        run.eligible.add(trial.candidate)
        best = run.best
        tie = ties and best is not None and trial.score == best.score
        if (
            best is not None
            and trial.score <= best.score
            and not (tie and trial.candidate != best.candidate)
        ):
            self._settle(best)
            return
        run.best, run.flat = trial, 0
        if not silent:
            run.recorder.emit(
                "best_changed",
                candidate=trial.candidate,
                score=trial.score,
                previous=None if best is None else best.score,
            )

    def _settle(self, best: Trial) -> None:
        """Count a scoring that did not beat the best; stop the search (once) when the run's
        `stop_when_flat` scorings in a row did not, or when the rest of its call budget is
        unlikely to (`stop_when_out_of_reach`), whichever comes first."""
        run = self.run
        run.flat += 1
        if run.settled:
            return
        why = self._flat_words(best) or self._reach_words(best)
        if why is None:
            return
        run.settled = True
        raise SearchSettled(why)

    def _flat_words(self, best: Trial) -> str | None:
        run = self.run
        if run.stop_when_flat is None or run.flat < run.stop_when_flat:
            return None
        return (
            f"stopped early: the best validation score ({100 * best.score:.0f}%) did not "
            f"improve in {run.flat} scoring{'s' if run.flat != 1 else ''} in a row"
        )

    def _reach_words(self, best: Trial) -> str | None:
        run = self.run
        if run.stop_when_out_of_reach is None:
            return None
        reach = out_of_reach(best, run.trials, calls_left(run.budget))
        if reach is None or reach.chance >= run.stop_when_out_of_reach:
            return None
        return reach.words()

    def best_program(self) -> Any | None:
        """A copy of the best candidate's program so far, or None before any tracked trial."""
        best = self.run.best
        if best is None:
            return None
        program = self.run.programs.get(best.candidate)
        return None if program is None else program.deepcopy()
