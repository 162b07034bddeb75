"""DSPy's `bootstrap_trace_data` (`dspy.teleprompt.bootstrap_trace`): run a program over a data
set, keeping each example's prediction, trace and score, the raw material of fine-tuning."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from engine.core import AdapterParseError, Example, LMError, parallel_map, settings
from engine.evaluate.scoring import call_metric

logger = logging.getLogger(__name__)


@dataclass
class FailedPrediction:
    """Stands for a prediction the program could not make: the LM's unreadable reply (or the
    error's text) and the score it gets (`format_reward`)."""

    completion_text: str
    format_reward: float | None = None


def bootstrap_trace_data(
    program: Any,
    dataset: Sequence[Example],
    metric: Callable[..., Any] | None = None,
    num_threads: int | None = None,
    raise_on_error: bool = True,
    capture_failed_parses: bool = False,
    failure_score: float = 0.0,
    format_failure_score: float = -1.0,
    log_format_failures: bool = False,
    callback_metadata: dict[str, Any] | None = None,
    capture_crashes: bool = False,
) -> list[dict[str, Any]]:
    """One dict per example, in order: `example_ind`, `example`, `prediction`, `trace` (the
    (predictor, inputs, prediction) steps) and, with a metric, `score`.

    A reply the adapter cannot read raises, or with `capture_failed_parses` becomes a
    `FailedPrediction` scored `format_failure_score`; any other error (LM errors excepted, they
    always raise) raises, or with `capture_crashes` becomes one scored `failure_score`. With
    `raise_on_error=False` an example whose run raised is left out (and logged).
    """

    def run(example: Example) -> tuple[Any, list[Any]]:
        with settings.context(trace=[]):
            try:
                return program(**example.inputs()), list(settings.trace)
            except AdapterParseError as error:
                if not capture_failed_parses:
                    raise
                if log_format_failures:
                    logger.warning("a reply did not follow the adapter's format: %s", error)
                failed = FailedPrediction(error.raw_text, format_failure_score)
                trace = list(settings.trace)
                predictor = _failed_predictor(program, error)
                if predictor is not None:  # the step that failed, as DSPy records it
                    trace.append((predictor, dict(example.inputs()), failed))
                return failed, trace
            except LMError:
                raise
            except Exception as error:
                if not capture_crashes:
                    raise
                failed = FailedPrediction(f"{type(error).__name__}: {error}", failure_score)
                return failed, list(settings.trace)

    threads = num_threads or settings.num_threads or 1
    outcomes = parallel_map(run, list(dataset), num_threads=threads)
    data = []
    for index, (example, (outcome, error)) in enumerate(zip(dataset, outcomes, strict=True)):
        if error is not None or outcome is None:
            if raise_on_error:
                raise error if error is not None else RuntimeError("the program gave nothing")
            logger.warning("bootstrap_trace_data: example %d raised %r; left out", index, error)
            continue
        prediction, trace = outcome
        entry = {"example_ind": index, "example": example, "prediction": prediction,
                 "trace": trace}  # fmt: skip
        if metric is not None:
            entry["score"] = _score(metric, example, prediction, trace, failure_score)
        data.append(entry)
    return data


def _failed_predictor(program: Any, error: AdapterParseError) -> Any:
    """The predictor whose reply could not be read: the one with the error's signature, or
    the program's only predictor; None when that cannot be told."""
    predictors = list(program.predictors()) if hasattr(program, "predictors") else []
    signature = getattr(error, "signature", None)
    for predictor in predictors:
        if signature is not None and predictor.signature == signature:
            return predictor
    return predictors[0] if len(predictors) == 1 else None


def _score(metric: Callable[..., Any], example: Any, prediction: Any, trace: list[Any],
           failure_score: float) -> Any:  # fmt: skip
    if isinstance(prediction, FailedPrediction):
        return prediction.format_reward
    try:
        return call_metric(metric, example, prediction, trace)
    except Exception as error:  # noqa: BLE001 - a failing metric scores failure_score, logged
        logger.warning("bootstrap_trace_data: the metric raised %r; scored %s", error,
                       failure_score)  # fmt: skip
        return failure_score


__all__ = ["FailedPrediction", "bootstrap_trace_data"]
