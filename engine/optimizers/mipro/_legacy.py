"""DSPy 2.x's names for MIPROv2, with their call shapes: `MIPRO` (MIPROv2's former name) and
`BayesianSignatureOptimizer` (instruction search alone, "when demos are already good").

Each warns once per process (an `OldOptimizerNameWarning`, a FutureWarning so that users see
it) saying that it is an old name and what it runs.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable
from typing import Any

from engine.optimizers.mipro._mipro import MIPROv2

_warned: set[str] = set()
_warned_lock = threading.Lock()


class OldOptimizerNameWarning(FutureWarning):
    """An optimizer was built under a DSPy 2.x name that now maps to another optimizer."""


def warn_old_name(name: str, maps_to: str) -> None:
    """Warn, once per process, that `name` is an old name and what it maps to."""
    with _warned_lock:
        if name in _warned:
            return
        _warned.add(name)
    warnings.warn(
        f"{name} is DSPy 2.x's name; here it runs {maps_to}. Use MIPROv2 in new code.",
        OldOptimizerNameWarning,
        stacklevel=3,
    )


def _threads(eval_kwargs: dict[str, Any] | None, current: int | None) -> int | None:
    """DSPy 2.x's `eval_kwargs=dict(num_threads=..., display_progress=...)`: the threads."""
    if eval_kwargs and eval_kwargs.get("num_threads") is not None:
        return int(eval_kwargs["num_threads"])
    return current


class MIPRO(MIPROv2):
    """`MIPRO(metric, prompt_model=None, task_model=None, teacher_settings={},
    num_candidates=10, init_temperature=1.0, verbose=False, track_stats=True,
    view_data_batch_size=10)`: MIPROv2 with `auto=None`, so `compile(student, *, trainset,
    num_trials, max_bootstrapped_demos, max_labeled_demos, eval_kwargs, seed, ...)` sets the
    search size as in DSPy 2.x."""

    def __init__(
        self,
        metric: Callable[..., Any],
        prompt_model: Any = None,
        task_model: Any = None,
        teacher_settings: dict[str, Any] | None = None,
        num_candidates: int = 10,
        init_temperature: float = 1.0,
        verbose: bool = False,
        track_stats: bool = True,
        view_data_batch_size: int = 10,
        **kwargs: Any,
    ) -> None:
        warn_old_name("MIPRO", "MIPROv2(metric, auto=None, num_candidates=...)")
        if metric is None:
            raise ValueError("MIPRO needs a metric: metric(example, prediction, trace=None)")
        kwargs.setdefault("auto", None)
        super().__init__(
            metric, prompt_model, task_model, teacher_settings, num_candidates=num_candidates,
            init_temperature=init_temperature, verbose=verbose, track_stats=track_stats,
            view_data_batch_size=view_data_batch_size, **kwargs,
        )  # fmt: skip

    def compile(
        self,
        student: Any,
        *,
        trainset: list[Any],
        num_trials: int | None = None,
        max_bootstrapped_demos: int | None = None,
        max_labeled_demos: int | None = None,
        eval_kwargs: dict[str, Any] | None = None,
        seed: int | None = None,
        **options: Any,
    ) -> Any:
        """DSPy 2.x's compile: `num_trials` is required unless `auto` was given."""
        if num_trials is None and self.auto is None:
            raise TypeError("MIPRO.compile() needs num_trials (e.g. num_trials=15), as in DSPy 2.x")
        self.num_threads = _threads(eval_kwargs, self.num_threads)
        return super().compile(
            student, trainset=trainset, num_trials=num_trials,
            max_bootstrapped_demos=max_bootstrapped_demos, max_labeled_demos=max_labeled_demos,
            seed=seed, **options,
        )  # fmt: skip


class BayesianSignatureOptimizer(MIPROv2):
    """`BayesianSignatureOptimizer(prompt_model=None, task_model=None, teacher_settings={},
    n=10, metric=None, init_temperature=1.0, verbose=False, track_stats=True,
    view_data_batch_size=10)`: MIPROv2's instruction search with no demo search (0 new demos;
    the student's own demos are kept). `n` is the number of instruction candidates;
    `compile(student, *, devset, optuna_trials_num, ...)` as in DSPy 2.x."""

    def __init__(
        self,
        prompt_model: Any = None,
        task_model: Any = None,
        teacher_settings: dict[str, Any] | None = None,
        n: int = 10,
        metric: Callable[..., Any] | None = None,
        init_temperature: float = 1.0,
        verbose: bool = False,
        track_stats: bool = True,
        view_data_batch_size: int = 10,
        **kwargs: Any,
    ) -> None:
        warn_old_name(
            "BayesianSignatureOptimizer",
            "MIPROv2(metric, auto=None, num_candidates=n, max_bootstrapped_demos=0, "
            "max_labeled_demos=0): instructions only",
        )
        if metric is None:
            raise ValueError(
                "BayesianSignatureOptimizer needs metric=: metric(example, prediction, trace=None)"
            )
        kwargs.setdefault("auto", None)
        super().__init__(
            metric, prompt_model, task_model, teacher_settings, max_bootstrapped_demos=0,
            max_labeled_demos=0, num_candidates=n, init_temperature=init_temperature,
            verbose=verbose, track_stats=track_stats, view_data_batch_size=view_data_batch_size,
            **kwargs,
        )  # fmt: skip

    def compile(
        self,
        student: Any,
        *,
        devset: list[Any] | None = None,
        trainset: list[Any] | None = None,
        optuna_trials_num: int | None = None,
        num_trials: int | None = None,
        max_bootstrapped_demos: int | None = None,
        max_labeled_demos: int | None = None,
        eval_kwargs: dict[str, Any] | None = None,
        seed: int | None = None,
        view_data: bool = True,
        view_examples: bool = True,
        requires_permission_to_run: bool | None = None,
        **options: Any,
    ) -> Any:
        """DSPy 2.x's compile: `devset` holds the examples (or `trainset=`); `optuna_trials_num`
        (or `num_trials`) the trials. Demo counts are accepted and not used: this optimizer
        searches instructions only."""
        data = devset if devset is not None else trainset
        if not data:
            raise ValueError("BayesianSignatureOptimizer.compile needs devset= (the examples)")
        trials = optuna_trials_num if optuna_trials_num is not None else num_trials
        if trials is None and self.auto is None:
            raise TypeError(
                "BayesianSignatureOptimizer.compile() needs optuna_trials_num (e.g. 15), "
                "as in DSPy 2.x"
            )
        self.num_threads = _threads(eval_kwargs, self.num_threads)
        options.setdefault("data_aware_proposer", view_data)
        options.setdefault("fewshot_aware_proposer", view_examples)
        return super().compile(
            student, trainset=list(data), num_trials=trials, max_bootstrapped_demos=0,
            max_labeled_demos=0, seed=seed, **options,
        )  # fmt: skip
