"""SIMBA's forecast: its own search, run on simulated rows, counting the rows it would pay for
(docs/design/estimate_pilot.md, "The forecasts"): `SimbaSearch` runs with a trial runner whose
rows come from an outcome model built on a pilot's figures (`PilotFigures`) instead of the LM.
Beyond that note: a program with additions scores what the pilot's demo program scored
(`added_scores`), else the student's score at the rate the two agreed; a sampled rollout the
pilot did not measure scores as the plain run does at the pilot's agreement rate (1 minus the
share of its rows where the variants split), else a draw at the rollouts' hit rate.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from engine.adapters.base import Adapter
from engine.optimizers.simba._search import SimbaSearch
from engine.optimizers.simba._strategies import RuleWriter
from engine.optimizers.simba._variants import RolloutVariant
from engine.optimizers.spine import (
    Candidate,
    CompileJob,
    PilotFigures,
    RunContext,
    TrialRunner,
    derive_seed,
)

DRAWS = 24
ASSUMED_RULE_KEEP = 0.5


@dataclass
class SimbaForecast:
    """Expected counts for one SIMBA run (averages over the draws)."""

    plain_runs: float
    rollout_runs: float
    task_calls: float
    rule_calls: float
    trials: float
    rule_keep: float
    rule_keep_source: str
    likely: tuple[float, float] = (0.0, 0.0)  # 10th and 90th percentile of all calls


@dataclass(frozen=True)
class _Rates:
    """The odds one simulated run uses: hit rates as it is and sampled, rules kept."""

    plain: float
    rollout: float
    keep: float
    agree: float = 0.0  # a rollout scores as the plain run does on the example

    @classmethod
    def measured(cls, pilot: PilotFigures) -> _Rates:
        """The pilot's own rates (a rule-keep rate it did not see is ASSUMED_RULE_KEEP)."""
        rollout = pilot.hit_rate if pilot.rollout_hit_rate is None else pilot.rollout_hit_rate
        keep = pilot.rule_keep_rate
        split, rows = _split_rows(pilot)
        agree = 1.0 - split / rows if rows else 0.0
        return cls(pilot.hit_rate, rollout, ASSUMED_RULE_KEEP if keep is None else keep, agree)

    @classmethod
    def plausible(cls, pilot: PilotFigures, rng: random.Random) -> _Rates:
        """Rates drawn from what the pilot's few rows allow (Beta(hits + 1, misses + 1)): a
        rate of 0 of 8 rows is not a certainty. Used for the estimate's likely range."""

        def draw(hits: float, n: float) -> float:
            return rng.betavariate(hits + 1, max(0.0, n - hits) + 1)

        plain = draw(sum(pilot.scores.values()), len(pilot.scores))
        rollout = (
            draw(sum(pilot.rollout_scores.values()), len(pilot.rollout_scores))
            if pilot.rollout_scores
            else plain
        )
        split, rows = _split_rows(pilot)
        agree = 1.0 - draw(split, rows) if rows else 0.0
        return cls(plain, rollout, draw(pilot.rules_kept, pilot.rules_tried), agree)


def _split_rows(pilot: PilotFigures) -> tuple[float, int]:
    """(rows where the pilot's variants disagreed, rows they ran on); (0, 0) without rollouts."""
    if pilot.disagree is None or not pilot.rollout_rows:
        return 0.0, 0
    return pilot.disagree * pilot.rollout_rows, pilot.rollout_rows


class _Outcomes:
    """Scores for simulated rows: see the module docstring."""

    def __init__(
        self, pilot: PilotFigures, rates: _Rates, student_hash: str, rng: random.Random
    ) -> None:
        self.pilot, self.student_hash, self.rng = pilot, student_hash, rng
        self._plain: dict[str, float] = {}
        self._added: dict[tuple[str, str], float] = {}
        self.plain_rate, self.rollout_rate, self.agree = rates.plain, rates.rollout, rates.agree

    def _draw(self, rate: float) -> float:
        return 1.0 if self.rng.random() < rate else 0.0

    def plain(self, ex_id: str, program_hash: str | None = None) -> float:
        """A program run as it is: the student's score, or, for a program with additions, what
        the pilot's demo program scored there (else the student's score at the rate it agreed
        with it, and the other score of a right/wrong metric when it did not)."""
        if ex_id not in self._plain:
            measured = self.pilot.scores.get(ex_id)
            self._plain[ex_id] = self._draw(self.plain_rate) if measured is None else measured
        student = self._plain[ex_id]
        added = self.pilot.added_scores
        if not added or program_hash in (None, self.student_hash):
            return student
        if ex_id in added:
            return added[ex_id]
        key = (program_hash, ex_id)
        if key not in self._added:
            agree = self.pilot.added_agree
            self._added[key] = (
                student if agree is None or self.rng.random() < agree
                else 1.0 - student if student in (0.0, 1.0) else self._draw(self.plain_rate)
            )  # fmt: skip
        return self._added[key]

    def rollout(self, inner_hash: str, rollout_id: Any, ex_id: str) -> float:
        if inner_hash == self.student_hash:
            measured = self.pilot.rollout_scores.get(f"{rollout_id}:{ex_id}")
            if measured is not None:
                return measured
        if self.agree and self.rng.random() < self.agree:
            return self.plain(ex_id, inner_hash)
        return self._draw(self.rollout_rate)


class _CallModel:
    """LM calls of simulated runs: the pilot's calls without fallbacks, plus parse fallbacks
    paid per prompt family as the adapter pays them (`FallbackRecord`: once a family's first
    `give_up` fallbacks all failed, no more). A family is one predictor of a program as it is,
    or of its sampled rollouts (they share a temperature and a prompt); a fallback falls on one
    of the program's predictors at random."""

    def __init__(self, pilot: PilotFigures, rng: random.Random, give_up: int) -> None:
        self.figures = {False: pilot.call_figures(False), True: pilot.call_figures(True)}
        self.rng, self.give_up = rng, give_up
        self.families: dict[tuple[str, bool, int], list[int]] = {}  # -> [failed, read]

    def run(self, program_hash: str, sampled: bool, predictors: int = 1) -> float:
        figures = self.figures[sampled]
        calls = figures.base
        needs = int(figures.need) + (self.rng.random() < figures.need % 1)
        for _ in range(needs):
            which = self.rng.randrange(predictors) if predictors > 1 else 0
            outcomes = self.families.setdefault((program_hash, sampled, which), [0, 0])
            failed, read = outcomes
            if not read and failed >= self.give_up:
                continue  # the adapter no longer tries this family's fallbacks
            calls += 1
            if self.rng.random() < (figures.success or 0.0):
                outcomes[1] += 1
            else:
                outcomes[0] += 1
        return calls


class _SimulatedRunner(TrialRunner):
    """A TrialRunner whose missing rows come from `_Outcomes` (no LM); counts what it fills."""

    def __init__(self, run: RunContext, outcomes: _Outcomes, calls: _CallModel) -> None:
        super().__init__(run, metric=None)
        self.outcomes, self.call_model = outcomes, calls
        self.plain_runs = 0
        self.rollout_runs = 0
        self.task_calls = 0.0

    def _fill(self, program: Any, cand_hash: str, examples: list, ids: list, *_: Any) -> bool:
        # (racing target, stop and progress do not apply: a forecast fills every row at once)
        results = self.run.results
        rollout = isinstance(program, RolloutVariant)
        inner = program.source_hash if rollout else cand_hash
        marker = getattr(program, "marker", {}) if rollout else {}
        predictors = max(1, len(program.named_predictors()))
        for index, (example, ex_id) in enumerate(zip(examples, ids, strict=True)):
            if (cand_hash, ex_id) in results:
                continue
            if rollout:
                score = self.outcomes.rollout(inner, marker.get("rollout_id"), ex_id)
                tag = f"{cand_hash}:{ex_id}"  # a sampled run: a trajectory of its own
                self.rollout_runs += 1
                self.task_calls += self.call_model.run(inner, True, predictors)
            else:
                score = self.outcomes.plain(ex_id, cand_hash)
                tag = f"plain:{ex_id}"  # greedy: the same trajectory for the same example
                self.plain_runs += 1
                self.task_calls += self.call_model.run(inner, False, predictors)
            inputs = dict(example.inputs().items())
            trace = [
                {"predictor": path, "inputs": inputs, "outputs": {"simulated": tag}}
                for path, _ in program.named_predictors()
            ]
            results[(cand_hash, ex_id)] = {
                "example_id": ex_id, "index": index, "inputs": inputs,
                "outputs": {"simulated": tag}, "score": score, "error": None,
                "feedback": None, "trace": trace,
            }  # fmt: skip
        return False


class _SimulatedRules(RuleWriter):
    """A RuleWriter whose prompt model keeps a rule at rate `keep`, each rule distinct, except
    that the same prompt gets the same reply (the LM cache: a step that meets the same program,
    example and pair of runs again writes the same rule, so builds the same program)."""

    def __init__(self, keep: float, rng: random.Random) -> None:
        super().__init__(None)
        self.keep, self.rng, self.calls = keep, rng, 0
        self._replies: dict[str, str] = {}

    def _call(self, user: str) -> str:
        self.calls += 1
        if user not in self._replies:
            n = len(self._replies) + 1
            keep = self.rng.random() < self.keep
            self._replies[user] = (
                f"If the input resembles case {n}, then answer it as case {n}." if keep else ""
            )
        return self._replies[user]


def forecast_simba(
    options: Any,
    student: Any,
    trainset: list[Any],
    valset: list[Any],
    seed: int,
    pilot: PilotFigures,
    draws: int = DRAWS,
) -> SimbaForecast:
    """Run `SimbaSearch` (with `options`, a SIMBA instance) `draws` times on simulated rows
    at the pilot's rates: the average counts; and `draws` times at rates drawn from what the
    pilot's rows allow: the likely range (10th-90th percentile of all calls). Needs the task
    LM on the settings (variants copy it, never call it)."""
    give_up = Adapter.fallback_record.failures_before_skip
    student_hash = Candidate.from_program(student).hash

    def simulate(rates: _Rates, rng: random.Random) -> dict[str, float]:
        """One run of the search on simulated rows: what it counted."""
        run = RunContext(seed=seed)
        runner = _SimulatedRunner(
            run, _Outcomes(pilot, rates, student_hash, rng), _CallModel(pilot, rng, give_up)
        )
        job = CompileJob(student=student, trainset=list(trainset), valset=list(valset),
                         teacher=None, runner=runner)  # fmt: skip
        search = SimbaSearch(options, job, seed)
        search.rules = rules = _SimulatedRules(rates.keep, rng)
        search.start()
        search.run_steps()
        search.finish()
        return {"plain": runner.plain_runs, "rollout": runner.rollout_runs, "rules": rules.calls,
                "trials": len(run.trials), "task": runner.task_calls}  # fmt: skip

    measured = pilot.rule_keep_rate
    source = "assumed" if measured is None else "measured by the pilot"
    point = _Rates.measured(pilot)
    totals = {"plain": 0.0, "rollout": 0.0, "rules": 0.0, "trials": 0.0, "task": 0.0}
    for draw in range(draws):
        rng = random.Random(derive_seed(seed, "simba-forecast", draw))
        for key, value in simulate(point, rng).items():
            totals[key] += value
    spread = []
    for draw in range(draws):
        rng = random.Random(derive_seed(seed, "simba-forecast range", draw))
        counts = simulate(_Rates.plausible(pilot, rng), rng)
        spread.append(counts["task"] + counts["rules"])
    mean = {key: value / max(1, draws) for key, value in totals.items()}
    spread.sort()
    low, high = spread[len(spread) // 10], spread[(len(spread) * 9) // 10]
    return SimbaForecast(
        mean["plain"], mean["rollout"], mean["task"], mean["rules"], mean["trials"], point.keep,
        source, (low, high),
    )  # fmt: skip
