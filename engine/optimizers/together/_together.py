"""BetterTogether: prompt and weight optimizers in sequence ("p -> w -> p"); the program after
each step is scored on the validation rows and the best one wins, unless the student as given
scored higher there (then it comes back, and the run says so)."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from engine.optimizers.finetune import BASELINE_ORIGIN, BootstrapFinetune, check_result
from engine.optimizers.random_search import BootstrapFewShotWithRandomSearch
from engine.optimizers.spine import (
    CompileJob,
    Estimate,
    Event,
    EventRecorder,
    Optimizer,
    RunContext,
    Workload,
)

DEFAULT_STRATEGY = "p -> w -> p"


def parse_strategy(strategy: str, known: Sequence[str]) -> list[str]:
    """`"p -> w -> p"` -> ["p", "w", "p"]; a ValueError names an empty or unknown step."""
    if not isinstance(strategy, str) or not strategy.strip():
        raise ValueError(f"strategy must name steps like {DEFAULT_STRATEGY!r}, not {strategy!r}")
    steps = [step.strip() for step in strategy.split("->")]
    if any(not step for step in steps):
        raise ValueError(f"strategy {strategy!r} has an empty step (write 'p -> w', not 'p ->')")
    unknown = sorted({step for step in steps if step not in known})
    if unknown:
        raise ValueError(
            f"strategy {strategy!r} names {', '.join(map(repr, unknown))}, which no optimizer "
            f"is given as; given: {', '.join(map(repr, known)) or 'none'}"
        )
    return steps


def forward_training(recorder: EventRecorder) -> Callable[[Event], None]:
    """A sink for a step's own run that hands its training progress to the whole run's
    `recorder` as it happens (the Run page's live loss curve)."""

    def forward(event: Event) -> None:
        if event.type == "training_step":
            recorder.emit(event.type, **event.data)

    return forward


def add_training(total: dict[str, Any] | None, part: dict[str, Any]) -> dict[str, Any]:
    """Two weight steps' training forecasts as one: rows, tokens, steps and minutes add up;
    the disk is reused (the larger of the two)."""
    if total is None:
        return dict(part)
    out = dict(total)
    for key in ("rows", "tokens", "steps", "minutes"):
        if out.get(key) is not None and part.get(key) is not None:
            out[key] = round(out[key] + part[key], 1) if key == "minutes" else out[key] + part[key]
    out["disk_bytes"] = max(out.get("disk_bytes") or 0, part.get("disk_bytes") or 0) or None
    return out


class BetterTogether(Optimizer):
    """`BetterTogether(metric, p=..., w=...)` with `compile(student, trainset=...,
    strategy="p -> w -> p")`: each letter of the strategy names an optimizer given as a keyword
    (defaults: `p` BootstrapFewShotWithRandomSearch, `w` BootstrapFinetune, both with this
    metric). `BetterTogether(metric, optimizers=[a, b])` runs the given optimizers in order
    instead (the strategy is then "0 -> 1 -> ..."). Without a valset, `valset_ratio` of the
    training rows are held out to score each step's program; the best one on them wins (on a
    tie, the later step's). When the student as given scored higher on them than every step,
    it comes back instead, as with the prompt optimizers' keep-start rule
    (`result.details["check"]` has both scores; Python's log warns). A weight step trains on
    all of its rows and checks nothing itself: this check covers it.
    """

    requires_metric = True
    valset_defaults_to_trainset = False
    calibrates_choices = False

    def __init__(
        self,
        metric: Callable[..., Any] | None = None,
        *,
        optimizers: Sequence[Optimizer] | None = None,
        **named: Optimizer,
    ) -> None:
        if optimizers is not None and named:
            raise ValueError("give optimizers=[...] or optimizers by letter (p=..., w=...), "
                             "not both")  # fmt: skip
        self.metric = metric
        if optimizers is not None:
            if not optimizers:
                raise ValueError("optimizers=[] is empty: give at least one optimizer")
            self.optimizers = {str(i): opt for i, opt in enumerate(optimizers)}
            self.default_strategy = " -> ".join(self.optimizers)
        else:
            self.optimizers = {
                "p": BootstrapFewShotWithRandomSearch(metric=metric),
                "w": BootstrapFinetune(metric=metric),
                **named,
            }
            self.default_strategy = DEFAULT_STRATEGY
        for letter, optimizer in self.optimizers.items():
            if not isinstance(optimizer, Optimizer):
                raise TypeError(f"optimizer {letter!r} is a {type(optimizer).__name__}, not an "
                                "optimizer")  # fmt: skip
            if optimizer.metric is None:
                optimizer.metric = metric
        self._check: dict[str, Any] | None = None

    def params(self) -> dict[str, Any]:
        return {"optimizers": {k: type(v).__name__ for k, v in self.optimizers.items()}}

    def result_details(self) -> dict[str, Any] | None:
        return {"check": self._check} if self._check is not None else None

    def step_args(self, letter: str) -> dict[str, Any]:
        """What a step's compile is given beyond the rows: a weight step no valset of its own
        (it would hold training rows back to check itself; the steps are checked here)."""
        return {"valset": []} if isinstance(self.optimizers[letter], BootstrapFinetune) else {}

    def check_settings(
        self, trainset: list[Any], valset: list[Any] | None = None, *, student: Any = None
    ) -> list[str]:
        problems: list[str] = []
        for optimizer in self.optimizers.values():
            problems += optimizer.check_settings(trainset, valset, student=student)
        return problems

    def _estimate(self, work: Workload) -> Estimate:
        total = Estimate({}, 0, 0, "")
        for letter in self.steps():
            optimizer = self.optimizers[letter]
            valset = self.step_args(letter).get("valset", work.valset)
            part = optimizer.estimate(work.trainset, valset, student=work.student,
                                      seed=work.seed)  # fmt: skip
            for role, calls in part.calls.items():
                total.calls[role] = total.calls.get(role, 0) + calls
            total.tokens += part.tokens
            total.trials += part.trials + 1
            if part.training:
                total.training = add_training(total.training, part.training)
        scored = (len(self.steps()) + 1) * len(work.valset) * work.per_example  # and the start
        total.calls["task"] = total.calls.get("task", 0) + scored
        total.notes = f"the steps {self.strategy!r} in sequence, each scored on the validation rows"
        return total

    def estimate(self, trainset: list[Any], valset: list[Any] | None = None,
                 **kw: Any) -> Estimate:  # fmt: skip
        if valset is None:  # the rows compile holds out by default
            trainset, valset = held_out_split(list(trainset), 0.1, 0)
        return super().estimate(trainset, valset, **kw)

    strategy: str = ""

    def steps(self) -> list[str]:
        return parse_strategy(self.strategy or self.default_strategy, list(self.optimizers))

    def compile(
        self,
        student: Any,
        *,
        trainset: list[Any],
        teacher: Any = None,
        valset: list[Any] | None = None,
        strategy: str | None = None,
        valset_ratio: float = 0.1,
        shuffle_trainset_between_steps: bool = True,
        seed: int | None = None,
        optimizer_compile_args: Mapping[str, Mapping[str, Any]] | None = None,
        **options: Any,
    ) -> Any:
        """Run the strategy's steps in order; the best program on the validation rows wins."""
        self.strategy = strategy or self.default_strategy
        self.steps()  # a bad strategy fails here, before any call
        args = dict(optimizer_compile_args or {})
        unknown = sorted(set(args) - set(self.optimizers))
        if unknown:
            raise ValueError(f"optimizer_compile_args names {unknown}, not optimizers given")
        if not 0 <= valset_ratio < 1:
            raise ValueError(f"valset_ratio must be in [0, 1), not {valset_ratio!r}")
        trainset = list(trainset)
        if valset is None:
            trainset, valset = held_out_split(trainset, valset_ratio, seed or 0)
        return super().compile(
            student, trainset=trainset, teacher=teacher, valset=list(valset), _args=args,
            _shuffle=shuffle_trainset_between_steps, _seed=seed or 0, **options,
        )  # fmt: skip

    def _compile(self, job: CompileJob) -> Any:
        run, runner = job.runner.run, job.runner
        held_out, args = job.valset, job.options["_args"]
        rng = random.Random(job.options["_seed"])
        program, trainset = job.student, list(job.trainset)
        best, best_trial, self._check = program, None, None
        for number, letter in enumerate(self.steps(), 1):
            run.check_cancel()
            optimizer = self.optimizers[letter]
            run.recorder.phase(f"step {number}: {letter}", type(optimizer).__name__)
            if job.options["_shuffle"] and number > 1:
                rng.shuffle(trainset)
            child = RunContext(should_cancel=run.should_cancel, seed=run.seed, workdir=run.workdir,
                               recorder=EventRecorder([forward_training(run.recorder)]))
            given = {**self.step_args(letter), **args.get(letter, {})}
            program = optimizer.compile(program, trainset=trainset, teacher=job.teacher,
                                        run=child, **given)  # fmt: skip
            origin = f"after step {number} ({letter}: {type(optimizer).__name__})"
            if held_out:
                trial = runner.evaluate(program, held_out, subset="val", origin=origin)
                run.recorder.log(f"{origin}: {trial.score:.3f} on {len(held_out)} validation rows")
                if best_trial is None or trial.score >= best_trial.score:  # a tie: the later step
                    best, best_trial = program, trial
                    runner.prefer(trial)
            else:
                runner.register(program, [], origin)
                best = program
        start = None
        if held_out:  # the spine's baseline (no new call), which comes back if every step lost
            start = runner.evaluate(job.student, held_out, subset="val", origin=BASELINE_ORIGIN,
                                    track_best=False)  # fmt: skip
        self._check = check_result(run, type(self).__name__, start, best_trial)
        return best


def held_out_split(trainset: list[Any], ratio: float, seed: int) -> tuple[list[Any], list[Any]]:
    """(training rows, held-out rows): a seeded shuffle's first `ratio` held out."""
    shuffled = trainset[:]
    random.Random(seed).shuffle(shuffled)
    cut = round(len(shuffled) * ratio)
    return shuffled[cut:], shuffled[:cut]
