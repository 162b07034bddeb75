"""COPRO: coordinate ascent over instructions. Per predictor, the proposer writes `breadth`
instructions; each is scored; the next `depth` round sees the attempts so far with their
scores and writes `breadth` more. The best-scoring program wins.

Candidates are scored on the valset (the trainset when none is given, as DSPy scores COPRO's
candidates on the trainset). DSPy's COPRO also proposes output-field prefixes; Tunesmith's chat
adapter shows no prefixes, so only instructions are searched.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.lm.model_check import check_lms
from engine.optimizers.copro._stats import CoproStats
from engine.optimizers.proposing import (
    GroundedProposer,
    ProposalSet,
    draw_cap,
    emit_proposals,
)
from engine.optimizers.spine import (
    RACED_SHARE,
    Candidate,
    CompileJob,
    Estimate,
    Optimizer,
    Workload,
    derive_seed,
    tokens_per_call,
)


class COPRO(Optimizer):
    """`COPRO(prompt_model=None, metric=..., breadth=10, depth=3, init_temperature=1.4)`.

    Not in DSPy: `race=True` stops scoring a candidate once it can no longer beat the best
    (the chosen program is unchanged for metrics scoring in [0, 1]).
    """

    def __init__(
        self,
        prompt_model: Any = None,
        metric: Callable[..., Any] | None = None,
        breadth: int = 10,
        depth: int = 3,
        init_temperature: float = 1.4,
        track_stats: bool = False,
        *,
        num_threads: int | None = None,
        max_errors: int | None = None,
        race: bool = True,
        verbose: bool = False,
    ) -> None:
        if metric is None:
            raise ValueError("COPRO needs a metric: metric(example, prediction, trace=None)")
        if breadth < 2:
            raise ValueError(
                f"breadth must be at least 2 (the current instruction + 1), not {breadth}"
            )
        if depth < 1:
            raise ValueError(f"depth must be at least 1, not {depth}")
        self.prompt_model = prompt_model
        self.metric = metric
        self.breadth = breadth
        self.depth = depth
        self.init_temperature = init_temperature
        self.track_stats = track_stats
        self.num_threads = num_threads
        self.max_errors = max_errors
        self.race = race
        self.verbose = verbose  # DSPy's flag: every event also goes to Python logging

    def compile(
        self,
        student: Any,
        *,
        trainset: list[Any],
        eval_kwargs: dict[str, Any] | None = None,
        valset: list[Any] | None = None,
        teacher: Any = None,
        run: Any = None,
    ) -> Any:
        """DSPy's `compile(student, *, trainset, eval_kwargs)`; `eval_kwargs` may set
        num_threads / max_errors."""
        if not trainset and not valset:
            raise ValueError("COPRO needs examples to score instructions on; trainset is empty")
        check_lms(self.prompt_model)
        for key in ("num_threads", "max_errors"):
            if (eval_kwargs or {}).get(key) is not None:
                setattr(self, key, eval_kwargs[key])
        return super().compile(student, trainset=trainset, valset=valset, teacher=teacher, run=run)

    # -- estimate -----------------------------------------------------------------------------
    def _estimate(self, work: Workload) -> Estimate:
        per = work.per_example
        n_val = len(work.valset)
        # most proposer calls: `draw_cap` draws per round (rounds after the first want
        # `breadth` new instructions, the first `breadth - 1`)
        proposer = per * (draw_cap(self.breadth) + (self.depth - 1) * draw_cap(self.breadth + 1))
        # instructions scored per predictor (the baseline is scored once)
        evaluated = per * ((self.breadth - 1) + (self.depth - 1) * self.breadth)
        share = RACED_SHARE if self.race else 1.0
        task = round((1 + evaluated * share) * n_val * per)
        tokens = task * tokens_per_call(work.valset, 0) + proposer * 700
        notes = (
            f"{self.breadth} instructions x {self.depth} rounds per predictor, each scored on "
            f"{n_val} examples; duplicates cost nothing"
            + (
                "; racing stops a candidate once it cannot beat the best (assumed: after "
                f"{RACED_SHARE:.0%} of the examples)"
                if self.race
                else ""
            )
        )
        return Estimate({"task": task, "proposer": proposer}, tokens, 1 + evaluated, notes)

    # -- compile ------------------------------------------------------------------------------
    def _compile(self, job: CompileJob) -> Any:
        runner, run = job.runner, job.runner.run
        recorder = run.recorder
        current = job.student.deepcopy()
        parents = [Candidate.from_program(job.student).hash]
        names = [name for name, _ in current.named_predictors()]
        proposer = GroundedProposer(
            prompt_model=self.prompt_model,
            data_aware=False,
            fewshot_aware=False,
            tip_aware=False,
            temperature=self.init_temperature,
            seed=derive_seed(run.seed, "copro"),
        )
        offered: dict[str, ProposalSet] = {}
        history: dict[str, list[tuple[str, float]]] = {name: [] for name in names}
        best_score = runner.evaluate(current, job.valset, subset="val", origin="baseline").score
        stats = CoproStats(keep=self.breadth)
        for name, predictor in current.named_predictors():
            history[name].append((predictor.signature.instructions, best_score))
        for depth in range(self.depth):
            for index, name in enumerate(names):
                run.check_cancel()
                recorder.phase(
                    "proposing instructions",
                    f"round {depth + 1} of {self.depth}, predictor {name} "
                    f"({index + 1} of {len(names)})",
                )
                wanted = self.breadth if depth == 0 else self.breadth + 1
                found = proposer.propose(
                    current, job.trainset, wanted, history={name: history[name]},
                    round_index=depth, predictors=[name],
                )[name]  # fmt: skip
                pool = offered.setdefault(name, ProposalSet(name, [], [], {}))
                _add_round(pool, found, depth, history[name][0][0])
                emit_proposals(run, "COPRO", pool, [], depth)
                recorder.phase(
                    "searching",
                    f"round {depth + 1} of {self.depth}: {len(found.instructions) - 1} new "
                    f"instruction(s) for {name}",
                )
                round_scores: list[float] = []
                for text in found.instructions[1:]:
                    candidate = current.deepcopy()
                    predictor = dict(candidate.named_predictors())[name]
                    predictor.signature = predictor.signature.with_instructions(text)
                    number = pool.instructions.index(text)
                    trial = runner.evaluate(
                        candidate, job.valset, subset="val", parents=parents,
                        origin=f"{name}: instruction {number} (round {depth + 1})",
                        race=self.race,
                    )  # fmt: skip
                    history[name].append((text, trial.score))
                    round_scores.append(trial.score)
                    if trial.subset == "val" and trial.score > best_score:
                        best_score, current = trial.score, candidate
                stats.add_round(name, depth, round_scores)
        best = runner.best_program()
        best = best if best is not None else current
        return stats.attach(best) if self.track_stats else best


def _add_round(pool: ProposalSet, found: ProposalSet, depth: int, original: str) -> None:
    """Add one round's new instructions (how each was made) and drops to COPRO's pool."""
    made = found.made[1:] or [{} for _ in found.instructions[1:]]
    for text, origin, how in zip(found.instructions[1:], found.origins[1:], made, strict=True):
        pool.instructions.append(text)
        pool.origins.append(f"round {depth + 1}, {origin}")
        pool.made.append({**how, "round": depth + 1})
    if not pool.instructions or pool.origins[0] != "original":
        pool.instructions.insert(0, original)
        pool.origins.insert(0, "original")
        pool.made.insert(0, {"how": "original"})
    pool.rejected.extend({**r, "round": depth + 1} for r in found.rejected)
    pool.cleaning = _add_cleaning(pool.cleaning, found.cleaning)


def _add_cleaning(total: dict[str, Any], more: dict[str, Any]) -> dict[str, Any]:
    dropped = dict(total.get("dropped") or {})
    for why, n in (more.get("dropped") or {}).items():
        dropped[why] = dropped.get(why, 0) + n
    added = {key: total.get(key, 0) + more.get(key, 0)
             for key in ("proposed", "kept", "capped", "draws", "templates")}  # fmt: skip
    if more.get("filled_because"):
        added["filled_because"] = more["filled_because"]
    return {**added, "dropped": dropped}
