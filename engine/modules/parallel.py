"""Parallel: run many (module, example) pairs on the engine's thread pool (dspy's shape)."""

from __future__ import annotations

from typing import Any

from engine.errors import BudgetExhausted, TooManyErrors
from engine.parallel import lm_threads, parallel_map
from engine.primitives import Example
from engine.settings import settings


class Parallel:
    """`Parallel(num_threads=None, max_errors=None, return_failed_examples=False)(pairs)`.

    Each pair is `(module, example)`: an Example (called with its inputs, or whole when
    `access_examples=False`), a dict (keyword arguments), a tuple (positional arguments) or, for
    a nested Parallel, a list of pairs. Results come back in order; a failed pair gives None.
    More than `max_errors` failures (default `settings.max_errors`, None = no limit) stop the
    batch with TooManyErrors; a budget running out stops it with BudgetExhausted. Threads come
    from `engine.parallel.lm_threads`: one for the embedded model, which serves one call at a
    time. With `return_failed_examples=True` it returns `(results, failed examples, errors)`.
    """

    def __init__(
        self,
        num_threads: int | None = None,
        max_errors: int | None = None,
        access_examples: bool = True,
        return_failed_examples: bool = False,
        provide_traceback: bool | None = None,
        disable_progress_bar: bool = False,
        **_ignored: Any,
    ) -> None:
        self.num_threads = num_threads
        self.max_errors = max_errors
        self.access_examples = access_examples
        self.return_failed_examples = return_failed_examples
        self.provide_traceback = provide_traceback
        self.disable_progress_bar = disable_progress_bar
        self.failed_examples: list[Any] = []
        self.exceptions: list[BaseException] = []

    def __call__(self, exec_pairs: list[tuple[Any, Any]], num_threads: int | None = None) -> Any:
        return self.forward(exec_pairs, num_threads)

    def forward(self, exec_pairs: list[tuple[Any, Any]], num_threads: int | None = None) -> Any:
        pairs = list(exec_pairs)
        max_errors = self.max_errors if self.max_errors is not None else settings.max_errors
        state = {"errors": 0, "budget": None}

        def on_done(_: int, __: Any, error: BaseException | None) -> None:
            if isinstance(error, BudgetExhausted):
                state["budget"] = error
            elif error is not None and not isinstance(error, StopIteration):
                state["errors"] += 1

        def should_stop() -> bool:
            too_many = max_errors is not None and state["errors"] > max_errors
            return state["budget"] is not None or too_many

        outcomes = parallel_map(
            self._run_pair,
            pairs,
            lm_threads(num_threads or self.num_threads),
            on_done=on_done,
            should_stop=should_stop,
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
