"""MIPROv2: demo sets by bootstrapping, grounded instruction proposals, and an Optuna TPE search
over (instruction, demo set) per predictor, on minibatches with periodic full evaluations.

Stages (each a `phase` event): "bootstrapping demos", "proposing instructions", "searching".
Every evaluation goes through the trial runner, so no (candidate, example) pair is scored twice
and a resumed run replays what the store holds. The Optuna study lives in the run's folder
(`RunContext.workdir`), so a worker killed mid-search resumes the same study; see
docs/design/instruction_search.md for the determinism argument.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import nullcontext
from typing import Any

from engine.core import settings
from engine.lm.model_check import check_lms
from engine.optimizers.bootstrap import BootstrapFewShot, bootstrap_calls
from engine.optimizers.mipro._plan import (
    AUTO_RUN_SETTINGS,
    ZERO_SHOT_PROPOSER_DEMOS,
    MiproPlan,
    cap_valset,
    expected_distinct_pairs,
    resolve_plan,
    split_datasets,
)
from engine.optimizers.mipro._search import MiproSearch
from engine.optimizers.proposing import (
    GroundedProposer,
    ProposalSet,
    demo_set_hash,
    draw_cap,
    emit_proposals,
)
from engine.optimizers.random_search import BootstrapFewShotWithRandomSearch
from engine.optimizers.spine import (
    RACED_SHARE,
    CompileJob,
    Estimate,
    Optimizer,
    Workload,
    derive_seed,
    example_id,
    predictor_count,
    tokens_per_call,
)

logger = logging.getLogger(__name__)

# compile() settings and DSPy 3.4.1's defaults; the constructor also takes them (a spec's
# optimizer params reach only the constructor)
COMPILE_DEFAULTS: dict[str, Any] = {
    "num_trials": None, "max_bootstrapped_demos": None, "max_labeled_demos": None,
    "seed": None, "minibatch": True, "minibatch_size": 35, "minibatch_full_eval_steps": 5,
    "program_aware_proposer": True, "data_aware_proposer": True, "view_data_batch_size": 10,
    "tip_aware_proposer": True, "fewshot_aware_proposer": True,
}  # fmt: skip


class MIPROv2(Optimizer):
    """`MIPROv2(metric, auto="light")`, DSPy 3.4.1's constructor and `compile()` keywords.

    `prompt_model` proposes instructions (role "proposer"; default: the task LM);
    `task_model` runs the program (default: the configured LM). Not in DSPy: `race=True` stops
    a full evaluation once it can no longer beat the best (the chosen program is unchanged).
    """

    requires_metric = True  # checked at compile: `.metric` may be set after construction

    def __init__(
        self,
        metric: Callable[..., Any] | None = None,
        prompt_model: Any = None,
        task_model: Any = None,
        teacher_settings: dict[str, Any] | None = None,
        max_bootstrapped_demos: int = 4,
        max_labeled_demos: int = 4,
        auto: str | None = "light",
        num_candidates: int | None = None,
        num_threads: int | None = None,
        max_errors: int | None = None,
        seed: int = 9,
        init_temperature: float = 1.0,
        verbose: bool = False,
        track_stats: bool = True,
        log_dir: str | None = None,
        metric_threshold: float | None = None,
        *,
        race: bool = True,
        **compile_defaults: Any,
    ) -> None:
        unknown = sorted(set(compile_defaults) - set(COMPILE_DEFAULTS))
        if unknown:
            raise TypeError(
                f"MIPROv2 got unknown keyword(s) {unknown}; compile() settings it also takes "
                f"here: {sorted(COMPILE_DEFAULTS)}"
            )
        if auto not in (None, "light", "medium", "heavy"):
            raise ValueError(f"auto must be 'light', 'medium', 'heavy' or None, not {auto!r}")
        self.metric = metric
        self.prompt_model = prompt_model
        self.task_model = task_model
        self.teacher_settings = dict(teacher_settings or {})
        self.max_bootstrapped_demos = max_bootstrapped_demos
        self.max_labeled_demos = max_labeled_demos
        self.auto = auto
        self.num_candidates = num_candidates
        self.num_threads = num_threads
        self.max_errors = max_errors
        self.seed = seed
        self.init_temperature = init_temperature
        self.verbose = verbose
        self.track_stats = track_stats
        self.log_dir = log_dir
        self.metric_threshold = metric_threshold
        self.race = race
        self.compile_defaults = dict(compile_defaults)
        self._compile_options: dict[str, Any] = {}

    # -- settings -----------------------------------------------------------------------------
    def _options(self, **given: Any) -> dict[str, Any]:
        """compile() settings: DSPy's defaults, then the constructor's, then what was given."""
        options = {**COMPILE_DEFAULTS, **self.compile_defaults}
        options.update({k: v for k, v in given.items() if v is not None})
        return options

    def _plan(self, options: dict[str, Any], n_predictors: int, n_train: int, n_val: int):
        return resolve_plan(
            auto=self.auto,
            num_candidates=self.num_candidates,
            num_trials=options["num_trials"],
            max_bootstrapped_demos=self._demos(options, "max_bootstrapped_demos"),
            max_labeled_demos=self._demos(options, "max_labeled_demos"),
            minibatch=bool(options["minibatch"]),
            minibatch_size=int(options["minibatch_size"]),
            minibatch_full_eval_steps=int(options["minibatch_full_eval_steps"]),
            n_predictors=n_predictors,
            trainset_size=n_train,
            valset_size=n_val,
        )

    def _demos(self, options: dict[str, Any], key: str) -> int:
        """A demo count (`key`): the compile() setting, else the constructor's."""
        value = options.get(key)
        return getattr(self, key) if value is None else value

    def effective_valset(self, trainset: list[Any], valset: list[Any] | None) -> list[Any]:
        _, val = split_datasets(trainset, valset)
        if self.auto is not None:
            val = cap_valset(val, AUTO_RUN_SETTINGS[self.auto]["val_size"], self.seed)
        return val

    def check_settings(
        self, trainset: list[Any], valset: list[Any] | None = None, *, student: Any = None
    ) -> list[str]:
        """What `compile` refuses before its first LM call (the plan for these sizes)."""
        try:
            train, _ = split_datasets(trainset, valset)
            val = self.effective_valset(trainset, valset)
            steps = predictor_count(student) if student is not None else 1
            self._plan(self._options(), steps, len(train), len(val))
        except ValueError as exc:
            return [f"MIPROv2 cannot run with these settings: {exc}"]
        return []

    # -- compile ------------------------------------------------------------------------------
    def compile(
        self,
        student: Any,
        *,
        trainset: list[Any],
        teacher: Any = None,
        valset: list[Any] | None = None,
        num_trials: int | None = None,
        max_bootstrapped_demos: int | None = None,
        max_labeled_demos: int | None = None,
        seed: int | None = None,
        minibatch: bool | None = None,
        minibatch_size: int | None = None,
        minibatch_full_eval_steps: int | None = None,
        program_aware_proposer: bool | None = None,
        data_aware_proposer: bool | None = None,
        view_data_batch_size: int | None = None,
        tip_aware_proposer: bool | None = None,
        fewshot_aware_proposer: bool | None = None,
        requires_permission_to_run: bool | None = None,
        run: Any = None,
    ) -> Any:
        """Optimize instructions (and demos) of a copy of `student`; checks every setting
        before the first LM call. A setting left None takes the constructor's value, else
        DSPy's default (minibatch=True, minibatch_size=35, minibatch_full_eval_steps=5, ...).
        `requires_permission_to_run` is accepted and ignored: the
        estimate is an event (and the dashboard's pre-flight card), never a prompt."""
        # the compile() settings given here (the keywords named in COMPILE_DEFAULTS)
        given = {key: value for key, value in locals().items() if key in COMPILE_DEFAULTS}
        options = self._options(**given)
        train, val = split_datasets(trainset, valset)
        val = self.effective_valset(trainset, valset)
        self._plan(options, predictor_count(student), len(train), len(val))  # raises if bad
        check_lms(self.prompt_model, self.task_model)
        self._compile_options = options
        try:
            return super().compile(
                student, trainset=train, valset=val, teacher=teacher, run=run, **options
            )
        finally:
            self._compile_options = {}

    def _compile(self, job: CompileJob) -> Any:
        options = {**self._options(), **job.options}
        run = job.runner.run
        plan = self._plan(options, predictor_count(job.student), len(job.trainset), len(job.valset))
        seed = derive_seed(run.seed, options["seed"] if options["seed"] is not None else self.seed)
        for note in plan.notes:
            run.recorder.log(note)
        given = self.task_model  # when given, the task model runs the program
        with nullcontext() if given is None else settings.context(lm=given):
            demo_sets = self._demo_sets(job, plan, options)
            proposals = self._propose(job, plan, options, demo_sets, seed)
            return MiproSearch(self.race, job, plan, proposals, demo_sets, seed).run(job.student)

    # -- stage 1: demo sets -------------------------------------------------------------------
    def _demo_sets(
        self, job: CompileJob, plan: MiproPlan, options: dict[str, Any]
    ) -> dict[str, list[tuple[list[Any], str]]]:
        """{predictor: [(demos, origin), ...]}, distinct sets in the order they were made."""
        runner, student = job.runner, job.student
        names = [name for name, _ in student.named_predictors()]
        sets: dict[str, list[tuple[list[Any], str]]] = {name: [] for name in names}
        if plan.zeroshot:
            if not options["fewshot_aware_proposer"] or not job.trainset:
                return sets
            booter = BootstrapFewShot(
                metric=self.metric, metric_threshold=self.metric_threshold,
                teacher_settings=self.teacher_settings,
                max_bootstrapped_demos=ZERO_SHOT_PROPOSER_DEMOS, max_labeled_demos=0,
                max_errors=self.max_errors, num_threads=self.num_threads,
            )  # fmt: skip
            program = booter.bootstrap(
                student, job.trainset, teacher=job.teacher, runner=runner, seed=("mipro",)
            )
            for name, predictor in program.named_predictors():
                sets[name].append((list(predictor.demos), "bootstrapped, for the proposer"))
            return sets
        maker = self._demo_maker(options)
        runner.run.recorder.phase(
            "bootstrapping demos", f"{plan.n_demo_sets} demo sets per predictor"
        )
        seen: dict[str, set[str]] = {name: set() for name in names}
        for seed in range(-3, plan.n_demo_sets - 3):
            runner.run.check_cancel()
            program, origin = maker._candidate(seed, student, job.trainset, job.teacher, runner)
            for name, predictor in program.named_predictors():
                key = demo_set_hash(predictor.demos)
                if key not in seen[name]:
                    seen[name].add(key)
                    sets[name].append((list(predictor.demos), origin))
        return sets

    def _demo_maker(self, options: dict[str, Any]) -> BootstrapFewShotWithRandomSearch:
        return BootstrapFewShotWithRandomSearch(
            metric=self.metric, teacher_settings=self.teacher_settings,
            max_bootstrapped_demos=self._demos(options, "max_bootstrapped_demos"),
            max_labeled_demos=self._demos(options, "max_labeled_demos"),
            num_threads=self.num_threads, max_errors=self.max_errors,
            metric_threshold=self.metric_threshold,
        )  # fmt: skip

    # -- stage 2: instructions ----------------------------------------------------------------
    def _propose(
        self,
        job: CompileJob,
        plan: MiproPlan,
        options: dict[str, Any],
        demo_sets: dict[str, list[tuple[list[Any], str]]],
        seed: int,
    ) -> dict[str, ProposalSet]:
        run = job.runner.run
        run.recorder.phase(
            "proposing instructions",
            f"{plan.n_instructions - 1} new instruction(s) per predictor from the proposer model",
        )
        proposer = GroundedProposer(
            prompt_model=self.prompt_model,
            program_aware=options["program_aware_proposer"],
            data_aware=options["data_aware_proposer"],
            tip_aware=options["tip_aware_proposer"],
            fewshot_aware=options["fewshot_aware_proposer"],
            view_data_batch_size=options["view_data_batch_size"],
            temperature=self.init_temperature,
            seed=seed,
        )
        shown = {
            name: [demos for demos, _ in sets if demos][: ZERO_SHOT_PROPOSER_DEMOS + 3]
            for name, sets in demo_sets.items()
        }
        proposals = proposer.propose(
            job.student, job.trainset, plan.n_instructions, demo_sets=shown
        )
        for name, found in proposals.items():
            offered = [] if plan.zeroshot else demo_sets.get(name, [])
            emit_proposals(run, "MIPROv2", found, offered, 0)
        return proposals

    # -- estimate -----------------------------------------------------------------------------
    def _estimate(self, work: Workload) -> Estimate:
        options = {**self._options(), **self._compile_options}
        per = work.per_example
        n_val = len(work.valset)
        train = work.trainset
        train_ids = {example_id(e) for e in train}
        if work.valset and all(example_id(e) in train_ids for e in work.valset):
            train, _ = split_datasets(work.trainset, None)  # no valset given: DSPy's split
        plan = self._plan(options, per, len(train), n_val)
        boot = 0
        maker = self._demo_maker(options)
        if plan.zeroshot:
            if options["fewshot_aware_proposer"]:
                boot = bootstrap_calls(len(train), ZERO_SHOT_PROPOSER_DEMOS, 1, per)
        else:
            for s in range(-1, plan.n_demo_sets - 3):
                boot += bootstrap_calls(len(train), maker.demo_count(work.seed, s), 1, per)
        configs = plan.n_instructions**per * max(1, plan.n_demo_sets) ** per
        baseline = n_val * per
        if plan.minibatch:
            searched = expected_distinct_pairs(configs, plan.num_trials, plan.minibatch_size, n_val)
            # a full evaluation scores what the minibatches of its configuration left out
            full = plan.full_eval_points() * max(0, n_val - plan.minibatch_size)
            if self.race:  # a full evaluation that cannot beat the best stops early
                full *= RACED_SHARE
        else:
            searched = expected_distinct_pairs(configs, plan.num_trials, n_val, n_val)
            full = 0.0
        task = baseline + boot + round((searched + full) * per)
        proposer = 0
        if options["data_aware_proposer"]:
            proposer += GroundedProposer.summary_calls(len(train), options["view_data_batch_size"])
        proposer += per * draw_cap(plan.n_instructions)  # at most: a draw may be dropped
        demos = 0 if plan.zeroshot else min(self._demos(options, "max_labeled_demos"), len(train))
        tokens = task * tokens_per_call(work.valset or train, demos // 2) + proposer * 900
        notes = (
            f"{plan.num_trials} trials over {plan.n_instructions} instruction(s)"
            + ("" if plan.zeroshot else f" x {plan.n_demo_sets} demo sets")
            + " per predictor"
            + (
                f", minibatches of {plan.minibatch_size} with {plan.full_eval_points()} full "
                "evaluations"
                if plan.minibatch
                else f", each on all {n_val} validation examples"
            )
            + "; configurations tried twice cost nothing; racing stops hopeless full evaluations"
        )
        return Estimate({"task": task, "proposer": proposer}, tokens, plan.num_trials + 1, notes)
