"""Parallel: run many (module, example) pairs on the engine's thread pool (dspy's shape)."""

from __future__ import annotations

import logging
import traceback
from typing import Any

from engine.core import BudgetExhausted, Example, TooManyErrors, lm_threads, parallel_map, settings
from engine.modules.attempts._stragglers import map_with_stragglers

logger = logging.getLogger(__name__)


class Parallel:
    """`Parallel(num_threads=None, max_errors=None, return_failed_examples=False)(pairs)`.

    Each pair is `(module, example)`: an Example (called with its inputs, or whole when
    `access_examples=False`), a dict (keyword arguments), a tuple (positional arguments) or, for
    a nested Parallel, a list of pairs. Results come back in order; a failed pair gives None.
    More than `max_errors` failures (default `settings.max_errors`, None = no limit) stop the
    batch with TooManyErrors; a budget running out stops it with BudgetExhausted. Threads come
    from `engine.core._parallel.lm_threads`: one for the embedded model, which serves one call at a
    time. With `return_failed_examples=True` it returns `(results, failed examples, errors)`.
    Each failure is logged (with its traceback when `provide_traceback`, default
    `settings.provide_traceback`). `timeout=` (seconds) resubmits stragglers once, as DSPy
    does, when at most `straggler_limit` pairs are still running; None (the default, DSPy's is
    120) never resubmits, since a resubmitted LM call is paid twice.
    """

    def __init__(
        self,
        num_threads: int | None = None,
        max_errors: int | None = None,
        access_examples: bool = True,
        return_failed_examples: bool = False,
        provide_traceback: bool | None = None,
        disable_progress_bar: bool = False,
        timeout: float | None = None,
        straggler_limit: int = 3,
    ) -> None:
        self.num_threads = num_threads
        self.max_errors = max_errors
        self.access_examples = access_examples
        self.return_failed_examples = return_failed_examples
        self.provide_traceback = provide_traceback
        self.disable_progress_bar = disable_progress_bar
        if timeout is not None and timeout < 0:
            raise ValueError(f"Parallel: timeout must be >= 0 seconds (0 = never), not {timeout}")
        self.timeout = timeout
        self.straggler_limit = max(0, int(straggler_limit))
        self.failed_examples: list[Any] = []
        self.exceptions: list[BaseException] = []

    def __call__(self, exec_pairs: list[tuple[Any, Any]], num_threads: int | None = None) -> Any:
        return self.forward(exec_pairs, num_threads)

    def forward(self, exec_pairs: list[tuple[Any, Any]], num_threads: int | None = None) -> Any:
        pairs = list(exec_pairs)
        max_errors = self.max_errors if self.max_errors is not None else settings.max_errors
        state = {"errors": 0, "budget": None}

        def on_done(index: int, __: Any, error: BaseException | None) -> None:
            if error is not None and not isinstance(error, StopIteration):
                self._log_failure(pairs[index][1], error)
            if isinstance(error, BudgetExhausted):
                state["budget"] = error
            elif error is not None and not isinstance(error, StopIteration):
                state["errors"] += 1

        def should_stop() -> bool:
            too_many = max_errors is not None and state["errors"] > max_errors
            return state["budget"] is not None or too_many

        threads = lm_threads(num_threads or self.num_threads)
        if self.timeout and threads > 1 and len(pairs) > 1:
            def run_one(pair: tuple[Any, Any]) -> tuple[Any, BaseException | None]:
                if should_stop():
                    return None, StopIteration("stopped before start")
                try:
                    return self._run_pair(pair), None
                except Exception as exc:  # one bad pair never kills the batch
                    return None, exc

            outcomes = map_with_stragglers(
                run_one, pairs, threads, self.timeout, self.straggler_limit, on_done
            )
        else:
            outcomes = parallel_map(
                self._run_pair, pairs, threads, on_done=on_done, should_stop=should_stop
            )
        if state["budget"] is not None:
            raise state["budget"]
        failed = [(pair[1], error) for pair, (_, error) in zip(pairs, outcomes) if error]
        if max_errors is not None and state["errors"] > max_errors:
            last = next(e for _, e in reversed(failed) if not isinstance(e, StopIteration))
            raise TooManyErrors(
                f"{state['errors']} of {len(pairs)} pairs failed (max_errors={max_errors}); "
                f"last: {type(last).__name__}: {last}"
            ) from last
        results = [result for result, _ in outcomes]
        if not self.return_failed_examples:
            return results
        self.failed_examples = [example for example, _ in failed]
        self.exceptions = [error for _, error in failed]
        return results, list(self.failed_examples), list(self.exceptions)

    def _log_failure(self, example: Any, error: BaseException) -> None:
        show = self.provide_traceback
        if show is None:
            show = settings.provide_traceback
        if show:
            trace = "".join(traceback.format_exception(error))
            logger.error("Error for %r: %s\n%s", example, error, trace)
        else:
            logger.error("Error for %r: %s. Set `provide_traceback=True` for traceback.",
                         example, error)  # fmt: skip

    def _run_pair(self, pair: tuple[Any, Any]) -> Any:
        module, example = pair
        if isinstance(example, Example):
            if not self.access_examples:
                return module(example)
            inputs = example.inputs() if example.input_keys is not None else example
            return module(**dict(inputs.items()))
        if isinstance(example, dict):
            return module(**example)
        if isinstance(example, list) and isinstance(module, Parallel):
            return module(example)
        if isinstance(example, tuple):
            return module(*example)
        raise ValueError(
            f"Parallel: unsupported example type {type(example).__name__}; use an Example, a "
            "dict, a tuple, or a list of pairs for a nested Parallel"
        )
