"""Filling a candidate's result rows: the evaluation loop behind `TrialRunner`.

Each (candidate, example) pair is evaluated at most once per run; its row goes to `run.results`.
Racing: given a race target (the score sum the candidate must beat, read again at every finished
row, since the best may change while rows are in flight), dispatching stops once the
candidate's best possible sum (every remaining example at MAX_EXAMPLE_SCORE) cannot exceed it.
A `stop` event also stops dispatching (rows in flight finish and are kept). `progress` hears the
candidate's score sum so far after every row (None once a score falls outside [0, 1]: the sum is
then no lower bound of its final one).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

from engine.core import BudgetExhausted, parallel_map
from engine.evaluate.evaluate import EvalRow, run_example
from engine.optimizers.spine._context import RunContext
from engine.optimizers.spine._events import to_jsonable
from engine.optimizers.spine._in_flight import IN_FLIGHT

MAX_EXAMPLE_SCORE = 1.0  # racing assumes metric scores in [0, 1]; a larger one turns it off
RaceTarget = Callable[[], "float | None"]


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


def hardest_first(
    results: dict[tuple[str, str], dict[str, Any]], todo: dict[str, int]
) -> dict[str, int]:
    """Examples the candidates so far scored lowest on come first: a raced candidate's misses
    then show early, so it is stopped sooner. The order cannot change any score."""
    totals: dict[str, list[float]] = {}
    for (_, ex_id), row in list(results.items()):
        if ex_id in todo:
            totals.setdefault(ex_id, []).append(float(row["score"]))

    def ease(ex_id: str) -> float:
        scores = totals.get(ex_id)
        return sum(scores) / len(scores) if scores else 0.5

    return dict(sorted(todo.items(), key=lambda item: (ease(item[0]), item[1])))


class RowJob:
    """Evaluating one (example id, example) of a candidate: a plain object, so that a pool in
    other processes (`RunContext.row_pool`) can be sent it."""

    def __init__(self, program: Any, metric: Callable[..., Any] | None, cand_hash: str) -> None:
        self.program, self.metric, self.cand_hash = program, metric, cand_hash

    def __call__(self, item: tuple[str, Any]) -> EvalRow:
        with IN_FLIGHT.row(self.cand_hash, item[0]):
            return run_example(self.program, self.metric, item[1])


def fill_rows(
    run: RunContext,
    metric: Callable[..., Any] | None,
    threads: int,
    program: Any,
    cand_hash: str,
    examples: list[Any],
    ids: list[str],
    *,
    target: RaceTarget | None = None,
    check_row: Callable[[EvalRow | None], Exception | None] = lambda row: None,
    stop: threading.Event | None = None,
    progress: Callable[[float | None], None] | None = None,
) -> bool:
    """Evaluate the examples whose rows are not cached yet (each distinct id once); returns
    True if racing stopped it with rows left. `check_row` may return an error that ends the
    fill (raised after the rows in flight are kept); BudgetExhausted is raised likewise."""
    results = run.results
    weight = Counter(ids)  # an id listed twice counts twice in the trial's mean
    todo: dict[str, int] = {}
    for index, ex_id in enumerate(ids):
        if (cand_hash, ex_id) not in results and ex_id not in todo:
            todo[ex_id] = index
    if target is not None:
        todo = hardest_first(results, todo)
    race = {"sum": 0.0, "left": 0.0, "bounded": target is not None, "pruned": False, "unit": True}

    def add(count: int, score: float) -> None:
        race["sum"] += count * score
        if score > MAX_EXAMPLE_SCORE:
            race["bounded"] = False  # scores are not bounded by 1: racing would be unsound
        race["unit"] = race["unit"] and 0.0 <= score <= MAX_EXAMPLE_SCORE
        if progress is not None:
            progress(race["sum"] if race["unit"] else None)

    for ex_id, count in weight.items():
        if ex_id in todo:
            race["left"] += count * MAX_EXAMPLE_SCORE
        else:
            add(count, results[(cand_hash, ex_id)]["score"])

    def beaten() -> bool:
        goal = target() if race["bounded"] and target is not None else None
        return goal is not None and race["sum"] + race["left"] <= goal + 1e-9

    if not todo or beaten():
        return bool(todo)
    halt: dict[str, Exception | None] = {"budget": None, "row": None}
    order = list(todo)

    def on_done(position: int, row: EvalRow | None, error: BaseException | None) -> None:
        if isinstance(error, BudgetExhausted):
            halt["budget"] = error
        halt["row"] = halt["row"] or check_row(row)
        if row is None:
            return
        count = weight[order[position]]
        race["left"] -= count * MAX_EXAMPLE_SCORE
        add(count, row.score)
        race["pruned"] = race["pruned"] or beaten()

    outcomes = parallel_map(
        RowJob(program, metric, cand_hash),
        [(ex_id, examples[i]) for ex_id, i in todo.items()],
        threads,
        on_done=on_done,
        offload=run.row_pool,
        should_stop=lambda: (
            halt["budget"] is not None
            or halt["row"] is not None
            or race["pruned"]
            or (stop is not None and stop.is_set())
        ),
    )
    if halt["row"] is not None:
        raise halt["row"]
    for (ex_id, index), (row, error) in zip(todo.items(), outcomes, strict=True):
        if row is None:
            if isinstance(error, (BudgetExhausted, StopIteration)):
                continue  # not evaluated: stays uncached
            row = EvalRow(
                index, dict(examples[index].items()), None, 0.0, f"{type(error).__name__}: {error}"
            )
        row.index = index
        results[(cand_hash, ex_id)] = row_dict(row, ex_id)
    if halt["budget"] is not None:
        raise halt["budget"]
    return race["pruned"] and any((cand_hash, ex_id) not in results for ex_id in todo)
