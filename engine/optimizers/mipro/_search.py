"""MIPROv2's stage 3: the Optuna TPE search over (instruction, demo set) per predictor.

Trials score minibatches of the valset; every `minibatch_full_eval_steps` trials the
configuration with the best mean minibatch score and no full score yet is scored on the whole
valset, and the best full score wins. The study is in RDB storage in the run store's PostgreSQL
database when the store is there (one study per run), else in the run's folder when the run has
one, so a resumed worker replays it (docs/design/instruction_search.md).
"""

from __future__ import annotations

import random
import warnings
from typing import Any

from engine.optimizers.mipro._plan import MiproPlan
from engine.optimizers.proposing import ProposalSet
from engine.optimizers.spine import Candidate, CompileJob, TrialRunner, derive_seed

STUDY_FILE = "optuna.db"
STUDY_NAME = "mipro"
Config = tuple[tuple[int, int], ...]  # per predictor: (instruction index, demo set index or -1)


def optuna_state(name: str) -> Any:
    from optuna.trial import TrialState

    return TrialState[name]


class MiproSearch:
    """Stage 3: the Optuna TPE search over (instruction, demo set) per predictor."""

    def __init__(
        self,
        race: bool,
        job: CompileJob,
        plan: MiproPlan,
        proposals: dict[str, ProposalSet],
        demo_sets: dict[str, list[tuple[list[Any], str]]],
        seed: int,
    ) -> None:
        self.race, self.job, self.plan, self.seed = race, job, plan, seed
        self.runner: TrialRunner = job.runner
        self.names = [name for name, _ in job.student.named_predictors()]
        self.instructions = {n: proposals[n].instructions for n in self.names}
        self.demo_sets = {} if plan.zeroshot else {n: demo_sets[n] for n in self.names}
        self.parents = [Candidate.from_program(job.student).hash]
        self.scores: dict[Config, list[float]] = {}
        self.fully_evaluated: set[Config] = set()

    # -- configurations -----------------------------------------------------------------------
    def distributions(self) -> dict[str, Any]:
        from optuna.distributions import CategoricalDistribution

        out = {}
        for i, name in enumerate(self.names):
            out[f"{i}_predictor_instruction"] = CategoricalDistribution(
                list(range(len(self.instructions[name])))
            )
            if self.demo_sets:
                out[f"{i}_predictor_demos"] = CategoricalDistribution(
                    list(range(len(self.demo_sets[name])))
                )
        return out

    def config_of(self, params: dict[str, Any]) -> Config:
        return tuple(
            (int(params[f"{i}_predictor_instruction"]), int(params.get(f"{i}_predictor_demos", -1)))
            for i in range(len(self.names))
        )

    def params_of(self, config: Config) -> dict[str, int]:
        params = {}
        for i, (instruction, demos) in enumerate(config):
            params[f"{i}_predictor_instruction"] = instruction
            if self.demo_sets:
                params[f"{i}_predictor_demos"] = demos
        return params

    def program(self, config: Config) -> tuple[Any, str]:
        program = self.job.student.deepcopy()
        parts = []
        for (name, predictor), (instruction, demos) in zip(
            program.named_predictors(), config, strict=True
        ):
            text = self.instructions[name][instruction]
            predictor.signature = predictor.signature.with_instructions(text)
            label = f"instruction {instruction}"
            if demos >= 0:
                predictor.demos = [d.copy() for d in self.demo_sets[name][demos][0]]
                label += f" × demo set {demos}"
            parts.append(label if len(self.names) == 1 else f"{name}: {label}")
        return program, "; ".join(parts)

    # -- the study ----------------------------------------------------------------------------
    def study(self) -> Any:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        run = self.runner.run
        workdir, name = run.workdir, STUDY_NAME
        if run.study_storage:  # the run store's PostgreSQL: one study per run, named by it
            storage: Any = optuna.storages.RDBStorage(run.study_storage)
            name = f"{STUDY_NAME}-{run.run_name}"
        elif workdir is not None:
            workdir.mkdir(parents=True, exist_ok=True)
            storage = f"sqlite:///{workdir / STUDY_FILE}"
        else:
            storage = optuna.storages.InMemoryStorage()
        return optuna.create_study(
            study_name=name,
            storage=storage,
            direction="maximize",
            sampler=self.sampler(0),
            load_if_exists=True,
        )

    def sampler(self, number: int) -> Any:
        import optuna

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return optuna.samplers.TPESampler(
                seed=derive_seed(self.seed, "tpe", number) % (2**32), multivariate=True
            )

    def add(self, study: Any, config: Config, value: float, kind: str, point: int) -> None:
        import optuna

        trial = optuna.trial.create_trial(
            params=self.params_of(config),
            distributions=self.distributions(),
            value=value,
            user_attrs={"kind": kind, "point": point},
        )
        study.add_trial(trial)

    # -- evaluations --------------------------------------------------------------------------
    def evaluate(self, config: Config, examples: list[Any], subset: str, race: bool) -> Any:
        program, origin = self.program(config)
        return self.runner.evaluate(
            program,
            examples,
            subset=subset,
            parents=self.parents,
            origin=origin,
            track_best=subset == "val",
            race=race,
        )

    def minibatch(self, number: int) -> list[Any]:
        valset = self.job.valset
        rng = random.Random(derive_seed(self.seed, "minibatch", number))
        return rng.sample(list(valset), min(self.plan.minibatch_size, len(valset)))

    def full_evaluation(self, study: Any, point: int, recorded: dict[tuple, Any]) -> None:
        """Score the best-averaging configuration without a full score on the whole valset."""
        pending = {c: s for c, s in self.scores.items() if c not in self.fully_evaluated}
        if not pending:
            return
        config = max(pending, key=lambda c: sum(pending[c]) / len(pending[c]))  # first on ties
        mean = sum(pending[config]) / len(pending[config])
        self.fully_evaluated.add(config)
        self.runner.run.recorder.log(
            f"full evaluation of {self.program(config)[1]} (mean minibatch score {mean:.3f})"
        )
        trial = self.evaluate(config, self.job.valset, "val", race=self.race)
        if trial.subset == "val" and ("full", point) not in recorded:
            self.add(study, config, trial.score, "full", point)

    def run(self, student: Any) -> Any:
        job, plan, run = self.job, self.plan, self.runner.run
        recorder = run.recorder
        study = self.study()
        existing = study.get_trials(deepcopy=False)
        recorded = {(t.user_attrs.get("kind"), t.user_attrs.get("point")): t for t in existing}
        searches = sorted(
            (t for t in existing if t.user_attrs.get("kind") == "search"),
            key=lambda t: t.number,
        )
        if existing:
            recorder.log(f"resuming the Optuna study: {len(existing)} trial(s) already in it")
        for orphan in existing:  # asked, then killed before it was labelled: never evaluated
            if orphan.state.name == "RUNNING" and "kind" not in orphan.user_attrs:
                study.tell(orphan.number, state=optuna_state("FAIL"))
        default: Config = tuple((0, 0 if self.demo_sets else -1) for _ in self.names)
        recorder.phase("searching", f"the default configuration on {len(job.valset)} examples")
        base_trial = self.evaluate(default, job.valset, "val", race=False)
        self.fully_evaluated.add(default)
        # the student as given stays eligible, so the result is never worse than the start
        self.runner.evaluate(
            student, job.valset, subset="val", origin="baseline (student as given)"
        )
        if ("default", 0) not in recorded:
            self.add(study, default, base_trial.score, "default", 0)
        distributions = self.distributions()
        for number in range(1, plan.num_trials + 1):
            run.check_cancel()
            recorder.phase("searching", f"trial {number} of {plan.num_trials}")
            known = searches[number - 1] if number - 1 < len(searches) else None
            if known is None:
                study.sampler = self.sampler(number)
                optuna_trial = study.ask(distributions)
                optuna_trial.set_user_attr("kind", "search")
                optuna_trial.set_user_attr("point", number)
                params, pending = optuna_trial.params, optuna_trial.number
            else:
                params = known.params
                pending = known.number if known.state.name == "RUNNING" else None
            config = self.config_of(params)
            if plan.minibatch:
                trial = self.evaluate(config, self.minibatch(number), "minibatch", race=False)
            else:
                trial = self.evaluate(config, job.valset, "val", race=False)
                self.fully_evaluated.add(config)
            self.scores.setdefault(config, []).append(trial.score)
            if pending is not None:
                study.tell(pending, trial.score)
            if plan.minibatch and (number % plan.full_eval_steps == 0 or number == plan.num_trials):
                self.full_evaluation(study, number, recorded)
        best = self.runner.best_program()
        return best if best is not None else student.deepcopy()
