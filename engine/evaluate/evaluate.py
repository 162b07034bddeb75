"""Evaluate: the one evaluation loop. Runs a program over examples and scores it."""

from __future__ import annotations

import difflib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from engine.core import (
    BudgetExhausted,
    TooManyErrors,
    lm_threads,
    parallel_map,
    settings,
    with_callbacks,
)
from engine.evaluate.result_files import save_results
from engine.evaluate.scoring import call_metric, score_of
from engine.lm.budget import failure_guard
from engine.modules.assertions import failure_text, is_constraint_failure

logger = logging.getLogger(__name__)
_EVALUATE_KEYWORDS = (
    "devset", "metric", "num_threads", "max_errors", "progress", "failure_score",
    "display_progress", "display_table", "provide_traceback", "save_as_json", "save_as_csv",
)  # fmt: skip


def _unknown_words(unknown: dict[str, Any], known: tuple[str, ...]) -> str:
    """'the keyword num_thread (did you mean num_threads?)'"""
    words = []
    for name in sorted(unknown):
        close = difflib.get_close_matches(name, known, n=1)
        words.append(f"{name} (did you mean {close[0]}?)" if close else name)
    return f"the keyword{'s' if len(words) > 1 else ''} " + ", ".join(words)
METRIC_FAILED = "metric failed: "

ProgressCallback = Callable[[int, int, float], None]  # (done, total, mean score so far)


@dataclass
class EvalRow:
    """One example's outcome: inputs, outputs, score (0 for failures) and the error, if any."""

    index: int
    inputs: dict[str, Any]
    outputs: dict[str, Any] | None
    score: float
    error: str | None = None
    feedback: str | None = None
    latency: float = 0.0
    trace: list[dict[str, Any]] | None = None  # each step: {predictor, inputs, outputs}


@dataclass
class EvaluationResult:
    """`score` is a percentage (as in DSPy); `mean` is 0..1; `rows` hold per-example detail."""

    score: float
    rows: list[EvalRow] = field(default_factory=list)
    errors: int = 0
    results: list[tuple[Any, Any, float]] = field(default_factory=list)
    stopped: str | None = None  # e.g. "budget" when a budget ended it early
    constraint_failures: int = 0  # examples failed by an Assert (their error: "constraint failed")

    @property
    def mean(self) -> float:
        return self.score / 100.0

    def __float__(self) -> float:
        return float(self.score)

    def __repr__(self) -> str:
        errors = f", errors={self.errors}" if self.errors else ""
        return (
            f"EvaluationResult(score={self.score}, results=<list of {len(self.results)} results>"
            f"{errors})"
        )


def run_example(program: Any, metric: Callable[..., Any] | None, example: Any) -> EvalRow:
    """Run and score one example, recording each predictor step; raises only BudgetExhausted."""
    inputs = (
        dict(example.inputs().items())
        if getattr(example, "input_keys", None)
        else dict(example.items())
    )
    start = time.perf_counter()
    steps: list[tuple[Any, dict[str, Any], Any]] = []
    try:
        with settings.context(trace=steps):
            prediction = program(**inputs)
        outputs = (
            dict(prediction.items()) if hasattr(prediction, "items") else {"output": prediction}
        )
    except BudgetExhausted:
        raise
    except Exception as exc:
        return EvalRow(
            0,
            inputs,
            None,
            0.0,
            failure_text(exc),  # a failed Assert reads "constraint failed: <msg>"
            latency=time.perf_counter() - start,
            trace=step_records(program, steps),
        )
    latency = time.perf_counter() - start
    trace = step_records(program, steps)
    if metric is None:
        return EvalRow(0, inputs, outputs, 0.0, latency=latency, trace=trace)
    try:
        score, feedback = score_of(call_metric(metric, example, prediction))
    except BudgetExhausted:  # an LM-judged metric hit the budget: the run stops, cleanly
        raise
    except Exception as exc:
        return EvalRow(
            0,
            inputs,
            outputs,
            0.0,
            f"{METRIC_FAILED}{type(exc).__name__}: {exc}",
            latency=latency,
            trace=trace,
        )
    return EvalRow(0, inputs, outputs, score, feedback=feedback, latency=latency, trace=trace)


def step_records(program: Any, steps: list[tuple[Any, dict[str, Any], Any]]) -> list[dict]:
    """The recorded steps as [{predictor: path, inputs, outputs}] (paths as in
    `named_parameters()`: predictors and retrievers; "self" for a bare Predict), with the
    step's `choice_scores` when the model reported some and its `reply` as written."""
    named = getattr(program, "named_parameters", None) or getattr(program, "named_predictors", None)
    paths = {id(p): name for name, p in named()} if callable(named) else {}
    records = []
    for predictor, step_inputs, pred in steps:
        record = {
            "predictor": paths.get(id(predictor), type(predictor).__name__),
            "inputs": dict(step_inputs),
            "outputs": dict(pred.items()) if hasattr(pred, "items") else {"output": pred},
        }
        if getattr(pred, "choice_scores", None):  # engine.lm.choice_scores
            record["choice_scores"] = pred.choice_scores
        if getattr(pred, "reply", None) is not None:  # as the model wrote it, before parsing
            record["reply"] = pred.reply
        records.append(record)
    return records


class Evaluate:
    """`Evaluate(devset=..., metric=..., num_threads=...)(program) -> EvaluationResult`.

    Failures (LM errors, parse errors, metric errors) score 0 and are counted; with
    `max_errors=N` the evaluation stops with TooManyErrors after more than N failures.
    `progress(done, total, mean)` is called as examples finish.
    """

    def __init__(
        self,
        *,
        devset: list[Any],
        metric: Callable[..., Any] | None = None,
        num_threads: int | None = None,
        max_errors: int | None = None,
        progress: ProgressCallback | None = None,
        failure_score: float = 0.0,
        display_progress: bool = False,
        display_table: bool | int = False,
        provide_traceback: bool | None = None,
        save_as_json: str | None = None,
        save_as_csv: str | None = None,
        return_all_scores: bool = False,
        return_outputs: bool = False,
        **unknown: Any,
    ) -> None:
        """DSPy's `display_progress`, `display_table` and `provide_traceback` are kept as
        attributes; the engine reports progress through `progress` and logging instead.
        `save_as_json` / `save_as_csv` write one record per example after each run. DSPy 2.x's
        `return_all_scores` is accepted (the result always holds every score) and
        `return_outputs=True` refused, as DSPy 3 does. DSPy 3.4.1 accepts any other keyword here,
        so code written for it may pass one: it is accepted too, and a warning names it (and the
        keyword it was probably meant to be), so a misspelt `num_thread=` is not silent."""
        if unknown:
            logger.warning("Evaluate ignores %s", _unknown_words(unknown, _EVALUATE_KEYWORDS))
        if return_outputs:
            raise ValueError(
                "Evaluate: `return_outputs` is no longer supported; every example's outputs "
                "are in the result's `results`"
            )
        self.devset = list(devset)
        self.metric = metric
        self.num_threads = num_threads
        self.max_errors = max_errors
        self.progress = progress
        self.failure_score = failure_score
        self.display_progress = display_progress
        self.display_table = display_table
        self.provide_traceback = provide_traceback
        self.save_as_json = save_as_json
        self.save_as_csv = save_as_csv

    @with_callbacks  # callbacks' on_evaluate_start / on_evaluate_end
    def __call__(
        self,
        program: Any,
        metric: Callable[..., Any] | None = None,
        devset: list[Any] | None = None,
        num_threads: int | None = None,
        progress: ProgressCallback | None = None,
        display_progress: bool | None = None,
        display_table: bool | int | None = None,
        callback_metadata: dict[str, Any] | None = None,
        save_as_csv: str | None = None,
        save_as_json: str | None = None,
    ) -> EvaluationResult:
        """DSPy's call keywords: `display_progress` and `display_table` are accepted (progress
        goes to `progress`), `callback_metadata` reaches callbacks with the call's inputs."""
        metric = metric or self.metric
        devset = list(devset if devset is not None else self.devset)
        threads = lm_threads(num_threads or self.num_threads)
        progress = progress or self.progress
        max_errors = self.max_errors if self.max_errors is not None else settings.max_errors
        lock = threading.Lock()
        state = {"done": 0, "sum": 0.0, "errors": 0, "stop": ""}

        def on_done(index: int, row: EvalRow | None, error: BaseException | None) -> None:
            with lock:
                state["done"] += 1
                if isinstance(error, BudgetExhausted):
                    state["stop"] = "budget"
                elif row is not None:
                    state["sum"] += row.score
                    if row.error:
                        state["errors"] += 1
                done, mean = state["done"], state["sum"] / max(state["done"], 1)
            if progress is not None:
                progress(done, len(devset), mean)

        def should_stop() -> bool:
            return bool(state["stop"]) or (max_errors is not None and state["errors"] > max_errors)

        with failure_guard():  # calls that keep failing stop the evaluation early
            outcomes = parallel_map(
                lambda ex: run_example(program, metric, ex), devset, threads, on_done, should_stop
            )
        if max_errors is not None and state["errors"] > max_errors:
            raise TooManyErrors(f"{state['errors']} examples failed (max_errors={max_errors})")
        rows, results = [], []
        for index, (example, (row, error)) in enumerate(zip(devset, outcomes)):
            if row is None:
                inputs = dict(example.items())
                reason = "budget exhausted" if isinstance(error, BudgetExhausted) else str(error)
                row = EvalRow(index, inputs, None, self.failure_score, reason)
            row.index = index
            rows.append(row)
            results.append((example, row.outputs, row.score))
        errors = sum(1 for r in rows if r.error)
        broken = [r.error for r in rows if r.error and r.error.startswith(METRIC_FAILED)]
        if broken:  # a metric that raises scores 0: never silently
            logger.warning(
                "the metric raised on %d of %d examples (they score 0): %s",
                len(broken), len(rows), broken[0][len(METRIC_FAILED):],
            )  # fmt: skip
        mean = sum(r.score for r in rows) / len(rows) if rows else 0.0
        save_as_json = save_as_json if save_as_json is not None else self.save_as_json
        save_as_csv = save_as_csv if save_as_csv is not None else self.save_as_csv
        if save_as_json or save_as_csv:
            save_results(results, metric, save_as_json, save_as_csv)
        constrained = sum(1 for r in rows if is_constraint_failure(r.error))
        return EvaluationResult(
            round(100 * mean, 2), rows, errors, results, state["stop"] or None, constrained
        )
