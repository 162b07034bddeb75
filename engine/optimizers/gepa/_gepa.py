"""GEPA: reflective prompt evolution with a Pareto front of candidates.

Each iteration picks a parent from the front (weighted by how many validation examples it is
best on), takes its next predictor round-robin, runs it on a minibatch of the trainset, and has
a reflection LM read what that predictor saw, wrote and was told by the metric; the reply is the
predictor's new instruction. The child is kept only if it beats the parent on that minibatch,
and a kept child is scored on the whole valset. Optionally, two lineages are merged.

Every evaluation goes through the trial runner. The budget is counted in metric calls (one
program run on one example), never exceeded: a step that would not fit ends the run. A resumed
run replays the same iterations: minibatches and parents are drawn from seeds, known trials
are returned without being evaluated again, and reflections come back from the LM cache.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

from engine.adapters.base import Adapter
from engine.core import settings
from engine.lm.model_check import check_lms
from engine.optimizers.gepa._forecast import (
    forecast_search,
    piloted_task_calls,
    reflection_odds,
)
from engine.optimizers.gepa._plan import (
    MinibatchOrder,
    check_budget_choice,
    metric_budget,
)
from engine.optimizers.gepa._pool import CandidatePool
from engine.optimizers.gepa._search import GepaSearch
from engine.optimizers.spine import (
    CompileJob,
    Estimate,
    Optimizer,
    Workload,
    derive_seed,
    example_id,
    tokens_per_call,
)

SELECTION_STRATEGIES = ("pareto", "current_best")
COMPONENT_SELECTORS = ("round_robin", "all")
NEEDS_METRIC = (
    "GEPA needs a metric: metric(gold, pred, trace=None, pred_name=None, pred_trace=None), "
    "returning a score or Prediction(score=..., feedback=...)"
)
_NO_METRIC: Any = object()  # `metric` left out: set `.metric` before compile (seed 002's shape)
# gepa_kwargs keys that name one of this GEPA's own settings (others have no effect here)
GEPA_KWARGS_OPTIONS = (
    "reflection_minibatch_size", "candidate_selection_strategy", "skip_perfect_score",
    "use_merge", "max_merge_invocations", "perfect_score", "seed", "num_iterations",
)  # fmt: skip


def check_gepa_kwargs(gepa_kwargs: dict[str, Any]) -> None:
    """Refuse the gepa_kwargs this GEPA cannot honour (DSPy refuses them too): a reflection
    prompt template (the engine's reflection writes its own prompt) and a reflection cost cap."""
    if "reflection_prompt_template" in gepa_kwargs:
        raise ValueError(
            "gepa_kwargs['reflection_prompt_template'] is not supported: GEPA's reflection writes "
            "its own prompt; pass instruction_proposer=... to change how instructions are written"
        )
    if gepa_kwargs.get("max_reflection_cost") is not None:
        raise ValueError(
            "gepa_kwargs['max_reflection_cost'] is not supported: cap the search with "
            "max_metric_calls, max_full_evals or auto"
        )
    gepa_kwargs.pop("max_reflection_cost", None)


class GEPA(Optimizer):
    """`GEPA(metric, auto="light", reflection_lm=...)`, DSPy 3.4.1's constructor names.

    The metric may return a float, a bool, or a score with feedback
    (`Prediction(score=..., feedback=...)` or `engine.metrics.ScoreWithFeedback`); the feedback
    is what the reflection LM reads. `reflection_lm` defaults to the task LM (DSPy requires
    one); its calls are recorded under the role "proposer".

    Beyond DSPy's names: `num_iterations` caps the search's iterations (each one reflection or
    one merge; alone it also sets the budget), `verbose=True` logs the run's events as
    COPRO's does, and `metric` may be left out and set as `.metric` before `compile`.
    `component_selector` may be a function, as GEPA's protocol has it: (state, trajectories,
    subsample_scores, candidate_idx, candidate) -> predictor names. `gepa_kwargs` may set
    the settings named in GEPA_KWARGS_OPTIONS; other keys warn and do nothing.
    """

    def __init__(
        self,
        metric: Callable[..., Any] = _NO_METRIC,
        *,
        auto: str | None = None,
        max_full_evals: int | None = None,
        max_metric_calls: int | None = None,
        reflection_minibatch_size: int = 3,
        candidate_selection_strategy: str = "pareto",
        reflection_lm: Any = None,
        skip_perfect_score: bool = True,
        add_format_failure_as_feedback: bool = False,
        instruction_proposer: Callable[..., dict[str, str]] | None = None,
        component_selector: str | Callable[..., list[str]] = "round_robin",
        use_merge: bool = True,
        max_merge_invocations: int | None = 5,
        num_threads: int | None = None,
        failure_score: float = 0.0,
        perfect_score: float = 1.0,
        log_dir: str | None = None,
        track_stats: bool = False,
        track_best_outputs: bool = False,
        seed: int | None = 0,
        max_errors: int | None = None,
        num_iterations: int | None = None,
        verbose: bool = False,
        gepa_kwargs: dict[str, Any] | None = None,
    ) -> None:
        if metric is None:
            raise ValueError(NEEDS_METRIC)
        gepa_kwargs = dict(gepa_kwargs or {})
        check_gepa_kwargs(gepa_kwargs)
        own = {k: gepa_kwargs.pop(k) for k in list(gepa_kwargs) if k in GEPA_KWARGS_OPTIONS}
        if gepa_kwargs:
            warnings.warn(
                f"GEPA: gepa_kwargs {sorted(gepa_kwargs)} have no effect on this GEPA; the keys "
                f"it reads are {list(GEPA_KWARGS_OPTIONS)}",
                stacklevel=2,
            )
        reflection_minibatch_size = own.get("reflection_minibatch_size", reflection_minibatch_size)
        candidate_selection_strategy = own.get(
            "candidate_selection_strategy", candidate_selection_strategy
        )
        num_iterations = own.get("num_iterations", num_iterations)
        if num_iterations is not None and (
            isinstance(num_iterations, bool)
            or not isinstance(num_iterations, int)
            or num_iterations < 1
        ):
            raise ValueError(
                f"num_iterations must be a positive whole number, not {num_iterations!r}"
            )
        if num_iterations is None or any(
            v is not None for v in (auto, max_full_evals, max_metric_calls)
        ):
            check_budget_choice(auto, max_full_evals, max_metric_calls)
        if candidate_selection_strategy not in SELECTION_STRATEGIES:
            raise ValueError(
                f"candidate_selection_strategy must be one of {SELECTION_STRATEGIES}, "
                f"not {candidate_selection_strategy!r}"
            )
        if not callable(component_selector) and component_selector not in COMPONENT_SELECTORS:
            raise ValueError(
                f"component_selector must be one of {COMPONENT_SELECTORS} or a function "
                f"(state, trajectories, subsample_scores, candidate_idx, candidate) -> names, "
                f"not {component_selector!r}"
            )
        if reflection_minibatch_size < 1:
            raise ValueError(
                f"reflection_minibatch_size must be at least 1, not {reflection_minibatch_size}"
            )
        self.metric = None if metric is _NO_METRIC else metric
        self.num_iterations = num_iterations
        self.verbose = verbose
        self.gepa_kwargs = {**own, **gepa_kwargs}
        self.auto = auto
        self.max_full_evals = max_full_evals
        self.max_metric_calls = max_metric_calls
        self.reflection_minibatch_size = reflection_minibatch_size
        self.candidate_selection_strategy = candidate_selection_strategy
        self.reflection_lm = reflection_lm
        self.skip_perfect_score = own.get("skip_perfect_score", skip_perfect_score)
        self.add_format_failure_as_feedback = add_format_failure_as_feedback
        self.instruction_proposer = instruction_proposer
        self.component_selector = component_selector
        self.use_merge = own.get("use_merge", use_merge)
        self.max_merge_invocations = own.get("max_merge_invocations", max_merge_invocations) or 0
        self.num_threads = num_threads
        self.failure_score = failure_score
        self.perfect_score = own.get("perfect_score", perfect_score)
        self.log_dir = log_dir
        self.track_stats = track_stats
        self.track_best_outputs = track_best_outputs
        seed = own.get("seed", seed)
        self.seed = 0 if seed is None else seed
        self.max_errors = max_errors
        self._pool: CandidatePool | None = None
        self._search: GepaSearch | None = None

    def compile(
        self,
        student: Any,
        *,
        trainset: list[Any],
        teacher: Any = None,
        valset: list[Any] | None = None,
        run: Any = None,
    ) -> Any:
        """DSPy's `compile(student, *, trainset, teacher=None, valset=None)`: reflect on
        minibatches of `trainset`, keep the Pareto front on `valset` (the trainset if none)."""
        if self.metric is None:
            raise ValueError(NEEDS_METRIC)
        if not trainset:
            raise ValueError("GEPA needs training examples to reflect on; trainset is empty")
        check_lms(self.reflection_lm)
        self._valset_given = valset is not None
        n_val = len(valset if valset is not None else trainset)
        budget = self.budget_for(len(student.named_predictors()), len(trainset), n_val)
        if budget < n_val:
            raise ValueError(
                f"GEPA's budget of {budget} metric calls is smaller than one evaluation of the "
                f"{n_val} validation examples (the program as given is scored on all of them "
                f"first); give max_metric_calls of at least {n_val}, or fewer validation examples"
            )
        program = super().compile(
            student, trainset=trainset, valset=valset, teacher=teacher, run=run
        )
        if self.track_stats and self._pool is not None:
            program.detailed_results = program.result.details
        return program

    def check_settings(
        self, trainset: list[Any], valset: list[Any] | None = None, *, student: Any = None
    ) -> list[str]:
        """The program runs GEPA may spend must cover one scoring of the validation rows."""
        if not trainset:
            return ["GEPA needs training rows to reflect on, and the training split is empty"]
        n_val = len(valset if valset is not None else trainset)
        steps = len(student.named_predictors()) if student is not None else 1
        budget = metric_budget(
            self.auto, self.max_full_evals, self.max_metric_calls, max(1, steps),
            len(trainset), n_val, valset is not None,
        )  # fmt: skip
        if budget >= n_val:
            return []
        return [
            f"GEPA may spend {budget} program runs (`max_metric_calls`), fewer than it needs to "
            f"score your prompt once on the {n_val} validation rows, which it does first: give "
            f"it at least {n_val} program runs, or use fewer validation rows"
        ]

    # -- budget and estimate --------------------------------------------------------------------
    def budget_for(self, n_predictors: int, n_train: int, n_val: int) -> int:
        """The run's budget in metric calls for these sizes. With `num_iterations` alone, as
        many as that many iterations can spend (each: a minibatch for the parent and one for
        the child, then the valset for a kept child)."""
        if self.num_iterations is not None and not any(
            v is not None for v in (self.auto, self.max_full_evals, self.max_metric_calls)
        ):
            mb = min(self.reflection_minibatch_size, max(1, n_train))
            return n_val + self.num_iterations * (2 * mb + n_val)
        return metric_budget(
            self.auto, self.max_full_evals, self.max_metric_calls, n_predictors, n_train, n_val,
            getattr(self, "_valset_given", True),
        )  # fmt: skip

    def _minibatch_order(self, trainset: list[Any]) -> tuple[list[str], int, MinibatchOrder]:
        """(training ids, minibatch size, the search's seeded minibatch order) for forecasts."""
        ids = list(dict.fromkeys(example_id(e) for e in trainset))
        mb = min(self.reflection_minibatch_size, max(1, len(trainset)))
        return ids, mb, MinibatchOrder(ids, mb, derive_seed(self.seed, "gepa"))

    def pilot_plan(
        self, trainset: list[Any], rows: int, seed: int = 0
    ) -> tuple[list[Any], list[Any], int]:
        """The student's first minibatches in the search's order (its first parent trials)."""
        ids, _, order = self._minibatch_order(trainset)
        by_id = {example_id(e): e for e in trainset}
        picked: list[str] = []
        for k in range(len(ids)):
            if len(picked) >= min(max(0, rows), len(ids)):
                break
            picked += [i for i in order.batch(k) if i not in picked]
        return [by_id[i] for i in picked[: max(0, rows)]], [], 0

    def _estimate(self, work: Workload) -> Estimate:
        per, n_val = work.per_example, len(work.valset)
        pilot = work.pilot
        budget = self.budget_for(per, len(work.trainset), n_val)
        _, mb, order = self._minibatch_order(work.trainset)
        odds = reflection_odds(self.reflection_lm or settings.lm)
        merges = self.max_merge_invocations if self.use_merge and per >= 2 else 0
        ahead = forecast_search(
            budget, [example_id(e) for e in work.valset], order, odds, merges_allowed=merges
        )
        if pilot is None:
            task = round(ahead.metric_calls) * per
        else:
            child_runs = ahead.reflections * odds.usable * mb + ahead.kept * n_val
            task = round(
                piloted_task_calls(
                    round(ahead.metric_calls), child_runs, pilot.call_figures(False),
                    Adapter.fallback_record.failures_before_skip,
                )
            )  # fmt: skip
        reflections = round(ahead.reflections)
        tokens = task * tokens_per_call(work.valset, 0) + reflections * 900
        notes = (
            f"a budget of {budget} metric calls (program runs on one example): the student on "
            f"{n_val} validation examples, then about {reflections} reflections on minibatches "
            f"of {mb}, about {ahead.metric_calls:.0f} metric calls spent "
            f"({odds.usable:.0%} of reflections usable, {odds.kept:.0%} of their children kept "
            f"and scored on the valset: {odds.source}); "
        )
        if pilot is None:
            notes += (
                f"task calls are at most {budget * per} ({per} per program run, assumed: "
                "a pilot would measure parse fallbacks and tool loops)"
            )
        else:
            notes += (
                f"about {task} task calls ({pilot.describe()}). The pilot's {pilot.calls} "
                "call(s) come back from the cache"
            )
        return Estimate({"task": task, "proposer": reflections}, tokens, round(ahead.trials), notes)

    # -- compile --------------------------------------------------------------------------------
    def _compile(self, job: CompileJob) -> Any:
        runner, run = job.runner, job.runner.run
        named = job.student.named_predictors()
        budget = self.budget_for(len(named), len(job.trainset), len(job.valset))
        val_ids = [example_id(e) for e in job.valset]
        pool = CandidatePool(val_ids)
        search = GepaSearch(
            runner=runner,
            pool=pool,
            budget=budget,
            trainset=job.trainset,
            valset=job.valset,
            paths=[path for path, _ in named],
            seed=self.seed,
            options=self,
        )
        self._pool, self._search = pool, search
        run.recorder.log(
            f"GEPA: a budget of {budget} metric calls; minibatches of "
            f"{self.reflection_minibatch_size} from {len(job.trainset)} training examples, "
            f"Pareto front on {len(job.valset)} validation examples"
        )
        search.start(job.student)
        search.run()
        return pool.best().program.deepcopy()

    def result_details(self) -> dict[str, Any] | None:
        if self._pool is None or not self._pool.entries:
            return None
        used = self._search.used if self._search is not None else 0
        details = self._pool.details(used)
        details["budget"] = self._search.budget if self._search is not None else None
        return details
