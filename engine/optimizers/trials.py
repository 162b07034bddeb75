"""Trials and the trial runner: the one place where optimizers evaluate candidates.

The runner evaluates one candidate's examples back to back (they share the system message and
demos, so the local model reuses its prompt prefix), never evaluates a (candidate, example) pair
twice in a run, numbers trials, tracks the best candidate and replays known trials on resume.

Racing (`evaluate(..., race=True)`): a candidate stops being evaluated as soon as it cannot beat
the best trial on the same examples, even if every remaining example scored 1 (the metric's
maximum). Since the first best wins ties, this never changes which candidate is chosen; the
partial evaluation is kept as a "minibatch" trial, which can never become the best.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from engine.errors import BudgetExhausted
from engine.evaluate.evaluate import EvalRow, TooManyErrors, run_example
from engine.evaluate.scoring import MetricOutputError
from engine.lm.usage import UsageLedger
from engine.modules.assertions import is_constraint_failure
from engine.optimizers.candidate import Candidate, example_id
from engine.optimizers.events import to_jsonable
from engine.parallel import lm_threads, parallel_map
from engine.settings import settings

if TYPE_CHECKING:
    from engine.optimizers.base import RunContext

BEST_SUBSETS = ("val", "full")  # subsets whose scores decide the best candidate
PARTIAL_SUBSET = "minibatch"  # a raced evaluation stopped early
METRIC_OUTPUT_FAILURE = f"metric failed: {MetricOutputError.__name__}:"
MAX_EXAMPLE_SCORE = 1.0  # racing assumes metric scores in [0, 1]; a larger one turns it off


@dataclass
class Trial:
    """One evaluation of one candidate on a named subset ("minibatch", "val", "full", "test")."""

    number: int
    candidate: str
    subset: str
    score: float
    example_scores: dict[str, float]
    usage: dict[str, Any]
    wall_time: float
    n: int
    errors: int
    rows: list[dict[str, Any]] = field(default_factory=list, repr=False)
    constraint_failures: int = 0  # rows failed by an Assert; not in the event (rows tell it)

    def key(self) -> tuple[str, str, frozenset[str]]:
        """What makes two trials the same: candidate, subset name and example ids."""
        return trial_key(self.candidate, self.subset, self.example_scores)

    def to_dict(self) -> dict[str, Any]:
        """The `trial` event payload (spine.md)."""
        return {
            "number": self.number,
            "candidate": self.candidate,
            "subset": self.subset,
            "score": self.score,
            "n": self.n,
            "errors": self.errors,
            "usage": dict(self.usage),
            "wall_time": self.wall_time,
            "rows": list(self.rows),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Trial:
        """Rebuild a trial from a `trial` event payload or a stored row."""
        rows = list(data.get("rows") or [])
        scores = data.get("example_scores") or {r["example_id"]: float(r["score"]) for r in rows}
        return cls(
            int(data["number"]),
            data["candidate"],
            data["subset"],
            float(data["score"]),
            dict(scores),
            dict(data.get("usage") or {}),
            float(data.get("wall_time") or 0.0),
            int(data.get("n", len(rows) or len(scores))),
            int(data.get("errors") or 0),
            rows,
            constraint_failures(rows),
        )


def constraint_failures(rows: list[dict[str, Any]]) -> int:
    """How many result rows an Assert failed ("constraint failed: ...")."""
    return sum(1 for r in rows if is_constraint_failure(r.get("error")))


def trial_key(candidate: str, subset: str, ids: Iterable[str]) -> tuple[str, str, frozenset[str]]:
    return candidate, subset, frozenset(ids)


def row_dict(row: EvalRow, ex_id: str) -> dict[str, Any]:
    """A stored result row: {example_id, index, inputs, outputs, score, error, feedback, trace}."""
    return {
        "example_id": ex_id,
        "index": row.index,
        "inputs": to_jsonable(row.inputs),
        "outputs": to_jsonable(row.outputs),
        "score": float(row.score),
        "error": row.error,
        "feedback": row.feedback,
        "trace": to_jsonable(row.trace) if row.trace is not None else None,
    }


def usage_of(records: list[Any]) -> dict[str, Any]:
    """{calls, uncached_calls, tokens, cost} of some ledger records."""
    uncached = [r for r in records if not r.cache_hit]
    return {
        "calls": len(records),
        "uncached_calls": len(uncached),
        "tokens": sum(r.total_tokens for r in uncached),
        "cost": round(sum(r.cost or 0.0 for r in uncached), 8),
    }


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
    ) -> None:
        self.run = run
        self.metric = metric
        self.num_threads = num_threads
        self.max_errors = max_errors
        self._metric_checked = False

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
    ) -> Trial:
        """Score `program` on `examples`; a trial on "val"/"full" may become the best.

        With `race=True` the evaluation stops once the candidate cannot beat the best trial on
        these examples; the returned trial is then a partial one (subset "minibatch").
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
        # such as a candidate built ahead, may run meanwhile: engine.optimizers.build_ahead)
        target = self._race_target(subset, ids) if race and track_best else None
        with settings.context(usage_trackers=(*settings.usage_trackers, calls)):
            pruned = self._fill(program, candidate.hash, examples, ids, target)
        if pruned:
            ids = [i for i in ids if (candidate.hash, i) in run.results]
            subset, track_best = PARTIAL_SUBSET, False
            existing = run.find_trial(trial_key(candidate.hash, subset, ids))
            if existing is not None:
                return existing
        rows = [{**run.results[(candidate.hash, ex_id)], "index": i} for i, ex_id in enumerate(ids)]
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
            usage=usage_of(calls.records),
            wall_time=round(time.perf_counter() - start, 4),
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
        return trial

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

    def _race_target(self, subset: str, ids: list[str]) -> float | None:
        """The score sum a raced candidate must beat: the best trial's, if on these examples."""
        best = self.run.best
        if best is None or best.subset != subset or best.n != len(ids):
            return None
        if set(best.example_scores) != set(ids):
            return None
        return best.score * best.n

    def _fill(
        self,
        program: Any,
        cand_hash: str,
        examples: list[Any],
        ids: list[str],
        target: float | None = None,
    ) -> bool:
        """Evaluate the examples whose rows are not cached yet (each distinct id once).

        With a `target` score sum, stops early once the candidate's best possible sum (every
        remaining example at MAX_EXAMPLE_SCORE) cannot exceed it; returns True if it stopped so.
        """
        results = self.run.results
        weight = Counter(ids)  # an id listed twice counts twice in the trial's mean
        todo: dict[str, int] = {}
        for index, ex_id in enumerate(ids):
            if (cand_hash, ex_id) not in results and ex_id not in todo:
                todo[ex_id] = index
        if target is not None:
            todo = self._hardest_first(todo)
        race = {"sum": 0.0, "left": 0.0, "target": target, "pruned": False}
        for ex_id, count in weight.items():
            if ex_id in todo:
                race["left"] += count * MAX_EXAMPLE_SCORE
            else:
                score = results[(cand_hash, ex_id)]["score"]
                race["sum"] += count * score
                if score > MAX_EXAMPLE_SCORE:
                    race["target"] = None  # scores are not bounded by 1: racing would be unsound

        def beaten() -> bool:
            return race["target"] is not None and (
                race["sum"] + race["left"] <= race["target"] + 1e-9
            )

        if not todo or beaten():
            return bool(todo)
        stop: dict[str, Exception | None] = {"budget": None, "metric": None}
        order = list(todo)

        def on_done(position: int, row: EvalRow | None, error: BaseException | None) -> None:
            if isinstance(error, BudgetExhausted):
                stop["budget"] = error
            stop["metric"] = stop["metric"] or self._metric_output_error(row)
            if row is None:
                return
            count = weight[order[position]]
            if row.score > MAX_EXAMPLE_SCORE:
                race["target"] = None  # scores are not bounded by 1: racing would be unsound
            race["sum"] += count * row.score
            race["left"] -= count * MAX_EXAMPLE_SCORE
            race["pruned"] = race["pruned"] or beaten()

        outcomes = parallel_map(
            lambda ex: run_example(program, self.metric, ex),
            [examples[i] for i in todo.values()],
            lm_threads(self.num_threads),
            on_done=on_done,
            should_stop=lambda: (
                stop["budget"] is not None or stop["metric"] is not None or race["pruned"]
            ),
        )
        if stop["metric"] is not None:
            raise stop["metric"]
        for (ex_id, index), (row, error) in zip(todo.items(), outcomes, strict=True):
            if row is None:
                if isinstance(error, (BudgetExhausted, StopIteration)):
                    continue  # not evaluated: stays uncached
                row = EvalRow(
                    index,
                    dict(examples[index].items()),
                    None,
                    0.0,
                    f"{type(error).__name__}: {error}",
                )
            row.index = index
            results[(cand_hash, ex_id)] = row_dict(row, ex_id)
        if stop["budget"] is not None:
            raise stop["budget"]
        return race["pruned"] and any((cand_hash, ex_id) not in results for ex_id in todo)

    def _hardest_first(self, todo: dict[str, int]) -> dict[str, int]:
        """Examples the candidates so far scored lowest on come first: a raced candidate's
        misses then show early, so it is stopped sooner. The order cannot change any score."""
        totals: dict[str, list[float]] = {}
        for (_, ex_id), row in list(self.run.results.items()):
            if ex_id in todo:
                totals.setdefault(ex_id, []).append(float(row["score"]))

        def ease(ex_id: str) -> float:
            scores = totals.get(ex_id)
            return sum(scores) / len(scores) if scores else 0.5

        return dict(sorted(todo.items(), key=lambda item: (ease(item[0]), item[1])))

    # -- best tracking ------------------------------------------------------------------------
    def _track(self, trial: Trial, track_best: bool, silent: bool) -> None:
        run = self.run
        if not track_best or trial.subset not in BEST_SUBSETS:
            return
        run.eligible.add(trial.candidate)
        best = run.best
        if best is not None and trial.score <= best.score:
            return
        run.best = trial
        if not silent:
            run.recorder.emit(
                "best_changed",
                candidate=trial.candidate,
                score=trial.score,
                previous=None if best is None else best.score,
            )

    def best_program(self) -> Any | None:
        """A copy of the best candidate's program so far, or None before any tracked trial."""
        best = self.run.best
        if best is None:
            return None
        program = self.run.programs.get(best.candidate)
        return None if program is None else program.deepcopy()
