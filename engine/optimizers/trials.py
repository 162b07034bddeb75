"""Trials and the trial runner: the one place where optimizers evaluate candidates.

The runner evaluates one candidate's examples back to back (they share the system message and
demos, so the local model reuses its prompt prefix), never evaluates a (candidate, example) pair
twice in a run, numbers trials, tracks the best candidate and replays known trials on resume.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from engine.errors import BudgetExhausted
from engine.evaluate.evaluate import EvalRow, TooManyErrors, run_example
from engine.optimizers.candidate import Candidate, example_id
from engine.optimizers.events import to_jsonable
from engine.parallel import parallel_map
from engine.settings import settings

if TYPE_CHECKING:
    from engine.optimizers.base import RunContext

BEST_SUBSETS = ("val", "full")  # subsets whose scores decide the best candidate


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
        )


def trial_key(candidate: str, subset: str, ids: Iterable[str]) -> tuple[str, str, frozenset[str]]:
    return candidate, subset, frozenset(ids)


def row_dict(row: EvalRow, ex_id: str) -> dict[str, Any]:
    """A stored result row: {example_id, index, inputs, outputs, score, error}."""
    return {
        "example_id": ex_id,
        "index": row.index,
        "inputs": to_jsonable(row.inputs),
        "outputs": to_jsonable(row.outputs),
        "score": float(row.score),
        "error": row.error,
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
    ) -> Trial:
        """Score `program` on `examples`; a trial on "val"/"full" may become the best."""
        run = self.run
        candidate = self.register(program, parents, origin)
        ids = [example_id(e) for e in examples]
        existing = run.find_trial(trial_key(candidate.hash, subset, ids))
        if existing is not None:
            self._track(existing, track_best, silent=existing.number in run.replayed)
            return existing
        run.check_cancel()
        start, mark = time.perf_counter(), len(run.ledger)
        self._fill(program, candidate.hash, examples, ids)
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
            usage=usage_of(run.ledger.records[mark:]),
            wall_time=round(time.perf_counter() - start, 4),
            n=len(rows),
            errors=errors,
            rows=rows,
        )
        run.record_trial(trial)
        run.recorder.emit("trial", **trial.to_dict())
        self._track(trial, track_best, silent=False)
        run.emit_usage()
        return trial

    def _fill(self, program: Any, cand_hash: str, examples: list[Any], ids: list[str]) -> None:
        """Evaluate the examples whose rows are not cached yet (each distinct id once)."""
        results = self.run.results
        todo: dict[str, int] = {}
        for index, ex_id in enumerate(ids):
            if (cand_hash, ex_id) not in results and ex_id not in todo:
                todo[ex_id] = index
        if not todo:
            return
        stop = {"budget": None}

        def on_done(_: int, row: EvalRow | None, error: BaseException | None) -> None:
            if isinstance(error, BudgetExhausted):
                stop["budget"] = error

        outcomes = parallel_map(
            lambda ex: run_example(program, self.metric, ex),
            [examples[i] for i in todo.values()],
            self.num_threads or settings.num_threads,
            on_done=on_done,
            should_stop=lambda: stop["budget"] is not None,
        )
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
