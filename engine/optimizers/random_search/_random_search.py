"""BootstrapFewShotWithRandomSearch: many bootstrapped demo sets, each scored on the valset.

Candidates, in order: seed -3 zero-shot, -2 labeled demos only, -1 bootstrap on the unshuffled
trainset, then seeds 0..N-1 bootstrapping on a shuffled trainset with a random number of demos
(1..max_bootstrapped_demos). The best validation score wins (the first one on ties).

With `one_teacher=True` (not in DSPy; off by default) every bootstrapped candidate has seed -1's
teacher (unless one is given), so a training row it has traced once is answered by the LM cache
for every later seed (docs/design/DEVIATIONS.md, "One teacher"). With `spend_share` (runs from a
spec set it), the search spends about that share of what its candidates would cost unraced:
racing's savings pay for extra candidates (seeds N..2N-1), and no new candidate starts once the
share is spent (`_spending`, docs/design/forecast.md).
"""

from __future__ import annotations

import contextlib
import random
import threading
from collections.abc import Callable
from typing import Any

from engine.core import call_priority, lm_threads, shared_call_slots
from engine.optimizers.bootstrap import (
    BootstrapFewShot,
    bootstrap_calls,
    describe_demos,
    teacher_repeats,
)
from engine.optimizers.labeled import labeled_rng, set_labeled_demos
from engine.optimizers.random_search._spending import (
    Spending,
    most_calls,
    new_prompt_calls,
    read_again_tokens,
)
from engine.optimizers.spine import (
    MAX_EXAMPLE_SCORE,
    BuildAhead,
    Candidate,
    CompileJob,
    Estimate,
    Optimizer,
    TrialRunner,
    Workload,
    calls_per_run,
    derive_seed,
    predictor_count,
    tokens_per_call,
)

AHEAD = 2  # candidates built and scored ahead on a hosted LM
# Runs from a spec (dashboard, CLI) spend this share of the unraced cost, so their calls and
# minutes are forecastable (bench/results/forecast.md) ...
SPEC_SPEND_SHARE = 0.75
# ... and end once the best candidate misses at most this many validation rows (score units): a
# later one could beat it by 2 rows at most, a paired difference no test tells from chance
SPEC_CLOSE_ENOUGH = 2.0


class BootstrapFewShotWithRandomSearch(Optimizer):
    """`BootstrapFewShotWithRandomSearch(metric, num_candidate_programs=16)`; alias BootstrapRS.

    `stop_at_score` ends the search early once a candidate reaches it (in the metric's 0..1
    scale; values above 1 are read as percentages, as DSPy's Evaluate reports them).
    `race=True` (not in DSPy) stops scoring a candidate once it can no longer beat the best one;
    the chosen program is the same as with full scoring, for metrics scoring in [0, 1].
    `spend_share` (not in DSPy) gives the search a call target instead of a fixed count: that
    share of what the `num_candidate_programs` candidates would cost unraced; candidates beyond
    them (up to twice as many) use what racing saved, and none starts once it is spent.
    On an LM that serves calls concurrently (a hosted provider) the next two candidates are
    built and their validation rows scored while the current one is recorded, within the same
    num_threads (`build_ahead`); trials are still recorded in candidate order, so the choice
    is the same as one at a time.
    `one_teacher=True` (not in DSPy) bootstraps every seed with seed -1's teacher (see the
    module docstring); the default draws each seed's teacher demos from its shuffled trainset,
    as DSPy.
    `close_enough` (not in DSPy; runs from a spec set 2) ends a racing search once the best
    candidate misses at most that many validation rows (in the metric's units): no later one
    could beat it by a margin the rows can tell apart.
    """

    def __init__(
        self,
        metric: Callable[..., Any],
        teacher_settings: dict[str, Any] | None = None,
        max_bootstrapped_demos: int = 4,
        max_labeled_demos: int = 16,
        max_rounds: int = 1,
        num_candidate_programs: int = 16,
        num_threads: int | None = None,
        max_errors: int | None = None,
        stop_at_score: float | None = None,
        metric_threshold: float | None = None,
        *,
        race: bool = True,
        spend_share: float | None = None,
        one_teacher: bool = False,
        close_enough: float | None = None,
    ) -> None:
        if spend_share is not None and not 0 < spend_share <= 1:
            raise ValueError(f"spend_share must be above 0 and at most 1, not {spend_share!r}")
        if close_enough is not None and close_enough < 0:
            raise ValueError(f"close_enough counts rows and cannot be negative: {close_enough!r}")
        self.metric = metric
        self.teacher_settings = dict(teacher_settings or {})
        self.max_bootstrapped_demos = max_bootstrapped_demos
        self.max_labeled_demos = max_labeled_demos
        self.max_rounds = max_rounds
        self.num_candidate_programs = num_candidate_programs
        self.num_threads = num_threads
        self.max_errors = max_errors
        self.stop_at_score = stop_at_score
        self.metric_threshold = metric_threshold
        self.race = race
        self.spend_share = spend_share
        self.one_teacher = one_teacher
        self.close_enough = close_enough
        self._teacher_rows = {}

    # seeds a compile(restrict=...) limits the search to (DSPy's option); None: every seed
    _restrict: frozenset[int] | None = None
    # the teacher runs each candidate's bootstrapping made, as (row, round)s by seed: what a
    # call target counts (with one teacher, only the runs no earlier seed made)
    _teacher_rows: dict[int, frozenset[tuple[int, int]]]

    def compile(self, student: Any, *, restrict: Any = None, **kwargs: Any) -> Any:  # type: ignore[override]
        """As every optimizer's; `restrict=[seed, ...]` tries only those candidates (-3
        zero-shot, -2 labeled only, -1 unshuffled bootstrap, 0.. shuffled)."""
        if restrict is None:
            return super().compile(student, **kwargs)
        wanted = frozenset(int(seed) for seed in restrict)
        every = range(-3, self.num_candidate_programs)
        if not wanted & set(every):
            raise ValueError(
                f"restrict={sorted(wanted)} matches no candidate seed; the seeds run from -3 to "
                f"{self.num_candidate_programs - 1}"
            )
        self._restrict = wanted
        try:
            return super().compile(student, **kwargs)
        finally:
            self._restrict = None

    # -- the candidate scheme ---------------------------------------------------------------
    def seeds(self) -> list[int]:
        """The planned candidates' seeds (see `compile(restrict=...)`)."""
        every = range(-3, self.num_candidate_programs)
        return [s for s in every if self._restrict is None or s in self._restrict]

    def _search_seeds(self) -> list[int]:
        """The planned seeds, then (with a call target) the extra ones racing may pay for."""
        if self.spend_share is None or self._restrict is not None:
            return self.seeds()
        return [*self.seeds(), *range(self.num_candidate_programs, 2 * self.num_candidate_programs)]

    def demo_count(self, run_seed: int, seed: int) -> int:
        """Bootstrapped demos for candidate `seed` (-1: the maximum; >= 0: random 1..max)."""
        if seed < 0 or self.max_bootstrapped_demos < 1:
            return max(0, self.max_bootstrapped_demos) if seed == -1 else 0
        return self._rng(run_seed, seed).randint(1, self.max_bootstrapped_demos)

    @staticmethod
    def _rng(run_seed: int, seed: int) -> random.Random:
        return random.Random(derive_seed(run_seed, "candidate", seed))

    def _bootstrapper(self, max_demos: int) -> BootstrapFewShot:
        return BootstrapFewShot(
            metric=self.metric,
            metric_threshold=self.metric_threshold,
            teacher_settings=self.teacher_settings,
            max_bootstrapped_demos=max_demos,
            max_labeled_demos=self.max_labeled_demos,
            max_rounds=self.max_rounds,
            max_errors=self.max_errors,
            num_threads=self.num_threads,
        )

    def _candidate(
        self,
        seed: int,
        student: Any,
        trainset: list[Any],
        teacher: Any,
        runner: TrialRunner,
        ahead: bool = False,
    ) -> tuple[Any, str]:
        """The program for candidate `seed` and a description of how it was made (`ahead`:
        while another candidate is scored)."""
        run_seed = runner.run.seed
        if seed == -3:
            return student.reset_copy(), "zero-shot (seed -3)"
        if seed == -2:
            rng = labeled_rng(run_seed)
            program = set_labeled_demos(student.reset_copy(), trainset, self.max_labeled_demos, rng)
            return program, f"labeled demos only (seed -2, k={self.max_labeled_demos})"
        size = self.demo_count(run_seed, seed)
        data = list(trainset)
        if seed >= 0:
            rng = self._rng(run_seed, seed)
            rng.randint(1, max(1, self.max_bootstrapped_demos))  # the draw used by demo_count
            rng.shuffle(data)
        bootstrapper = self._bootstrapper(size)
        if teacher is None and self.one_teacher:  # seed -1's for every seed (module docstring)
            teacher = bootstrapper.prepare_teacher(student, None, trainset, run_seed)
        program = bootstrapper.bootstrap(
            student, data, teacher=teacher, runner=runner, seed=("candidate", seed), ahead=ahead
        )
        self._teacher_rows[seed] = frozenset(bootstrapper._teacher_rows)
        kind = "unshuffled" if seed == -1 else "shuffled"
        return program, f"bootstrap seed {seed} ({kind}, {describe_demos(program)})"

    # -- estimate ---------------------------------------------------------------------------
    def _estimate(self, work: Workload) -> Estimate:
        trainset, valset, per_example = work.trainset, work.valset, work.per_example
        trials = len(self.seeds()) + (1 if work.student_has_demos else 0)
        eval_calls = trials * len(valset) * per_example
        boot, boot_tokens = 0, 0
        counts = [self.demo_count(work.seed, s) for s in self.seeds() if s >= -1]
        for count in counts:
            calls = bootstrap_calls(len(trainset), count, self.max_rounds, per_example)
            boot += calls
            boot_tokens += calls * tokens_per_call(
                trainset, min(self.max_labeled_demos, len(trainset))
            )
        demos = min(self.max_labeled_demos, len(trainset))
        eval_tokens = eval_calls * tokens_per_call(valset, demos // 2)
        notes = (
            f"{trials} candidates x {len(valset)} validation examples, plus bootstrapping "
            "(assumes 75% of teacher runs pass the metric); duplicate candidates cost nothing; "
            "stop_at_score can end the search early"
        )
        if self.one_teacher and boot:  # rows an earlier seed traced: the LM cache answers them
            repeats = teacher_repeats(len(trainset), counts, self.max_rounds, per_example)
            repeats = min(boot, repeats)
            boot_tokens = round(boot_tokens * (boot - repeats) / boot)
            boot -= repeats
            notes += (
                f"; one teacher for all candidates: ~{repeats} more teacher runs repeat a row an "
                "earlier candidate's teacher ran, which the LM cache answers"
            )
        estimate = Estimate({"task": eval_calls + boot}, eval_tokens + boot_tokens, trials, notes)
        if self.spend_share is not None and self._restrict is None:
            return self._targeted(estimate, work)
        if self.race:
            estimate.notes += (
                "; at most: racing stops scoring a candidate once it cannot beat the best, "
                "which usually saves a good share of these calls"
            )
        return estimate

    def _candidate_cost(self, train: int, val: int, per_row: int) -> int:
        """The most one bootstrapped candidate costs: a teacher run on every training row
        (each round) and every validation row scored, `per_row` calls each."""
        return (train * max(1, self.max_rounds) + val) * per_row

    def _bootstrapped_planned(self) -> int:
        """The planned candidates that bootstrap (seed -1 and the shuffled ones)."""
        return sum(1 for seed in self.seeds() if seed >= -1)

    def _targeted(self, unraced: Estimate, work: Workload) -> Estimate:
        """The estimate of a search with a call target: `spend_share` of the unraced cost;
        at most what it can make when each bootstrapped candidate also counts its prompt
        reads (`_spending`), plus those a hosted LM builds ahead."""
        assert self.spend_share is not None
        bound = unraced.total_calls
        target = max(1, round(self.spend_share * bound))
        ahead = AHEAD if lm_threads(self.num_threads) > 1 else 0
        most = self._candidate_cost(len(work.trainset), len(work.valset), work.per_example)
        weight = new_prompt_calls(self.one_teacher)
        work_target = target + weight * self._bootstrapped_planned()
        unweighted = 3 * len(work.valset) * work.per_example  # baseline, zero-shot, labeled
        at_most = most_calls(work_target, most, weight, unweighted) + ahead * most
        planned = self.num_candidate_programs
        reads = (
            f"; each new example set also counts as {weight} calls, the time this model takes to "
            "read its new prompts, so where candidates are cheap it tries fewer extra ones and "
            "where they are costly it makes more calls"
            if weight
            else ""
        )
        notes = (
            f"the search spends about {self.spend_share:.0%} of what {unraced.trials} candidates "
            f"would cost unraced ({bound:,} calls): racing stops a candidate once it cannot beat "
            f"the best, the calls it saves pay for more candidates (up to {2 * planned + 3}), and "
            f"no new candidate starts once they are spent (at most {at_most:,} calls){reads}; a "
            f"candidate scoring the maximum{self._close_words()} or stop_at_score ends it sooner"
        )
        read_again = 0 if self.one_teacher else self._read_again(work)
        if read_again > 0:
            notes += (
                "; on this seed teacher runs meet their own demos early in the prompt (each is "
                "left out for its own row), so the model reads more of its prompts again than "
                "usual, which the time counts"
            )
        elif read_again < 0:
            notes += (
                "; on this seed teacher runs seldom meet their own demos early in the prompt, so "
                "the model reads less of its prompts again than usual, which the time counts"
            )
        return Estimate(
            {"task": target},
            round(unraced.tokens * target / max(bound, 1)),
            unraced.trials,
            notes,
            at_most=at_most,
            read_again=read_again,
        )

    def _read_again(self, work: Workload) -> int:
        """`read_again_tokens` for the planned bootstrapped candidates' teachers."""
        trainset = work.trainset
        labeled = min(self.max_labeled_demos, len(trainset))
        counts = [self.demo_count(work.seed, s) for s in self.seeds() if s >= -1]
        demo_tokens = tokens_per_call(trainset, 1) - tokens_per_call(trainset, 0)
        return read_again_tokens(
            work.seed, len(trainset), labeled, counts, predictor_count(work.student), demo_tokens
        )

    # -- compile ----------------------------------------------------------------------------
    def _compile(self, job: CompileJob) -> Any:
        student, trainset, valset, runner = job.student, job.trainset, job.valset, job.runner
        teacher = job.teacher
        parents = [Candidate.from_program(student).hash]
        target = self.stop_at_score
        if target is not None and target > 1:
            target = target / 100.0
        threads = lm_threads(self.num_threads)
        # A hosted LM: the next two candidates are built and scored ahead (build_ahead)
        ahead = AHEAD if threads > 1 else 0
        stop = threading.Event()

        def prepared(seed: int) -> tuple[Any, str]:
            with call_priority(seed):  # an earlier candidate's requests get free slots first
                made, origin = self._candidate(seed, student, trainset, teacher, runner, ahead > 0)
                if ahead:
                    runner.prefill(made, valset, race=self.race, stop=stop, order=seed,
                                   origin=origin)  # fmt: skip
                return made, origin

        self._teacher_rows.clear()
        most = self._candidate_cost(len(trainset), len(valset), calls_per_run(student))
        # the calls this search spends (None: it tries its planned candidates)
        targeted = job.estimate is not None and job.estimate.at_most is not None
        calls = job.estimate.total_calls if targeted else None
        spending = Spending(
            calls, runner.run.trials, job.student, most,
            weight=new_prompt_calls(self.one_teacher) if calls is not None else 0,
            planned=self._bootstrapped_planned(),
        )  # fmt: skip
        with (
            shared_call_slots(threads) if ahead else contextlib.nullcontext(),
            BuildAhead(prepared, self._search_seeds(), ahead, spending.surely_starts) as builds,
        ):
            try:
                last = self._search(builds, valset, runner, parents, target, spending)
            finally:
                stop.set()  # what is still in flight ahead stops dispatching rows
        if job.estimate is not None:  # its minutes follow it (`measured_speed`)
            job.estimate.done_share = spending.done_share()
        best = runner.best_program()
        return best if best is not None else (last if last is not None else student.reset_copy())

    def _close_words(self) -> str:
        if not self.race or not self.close_enough:
            return ""
        return f" (or missing at most {self.close_enough:g} validation rows)"

    def _close_enough(self, best: Any, val_rows: int) -> bool:
        """Whether the best trial, scored on every validation row, misses at most
        `close_enough` of them (metric scores in [0, 1]); like the maximum's stop, only when
        racing (`race=False` scores every candidate in full)."""
        if not self.race or self.close_enough is None or best is None or best.n < val_rows:
            return False
        if best.score > MAX_EXAMPLE_SCORE:
            return False
        return best.n * (MAX_EXAMPLE_SCORE - best.score) <= self.close_enough + 1e-9

    def _search(
        self,
        builds: BuildAhead[int, tuple[Any, str]],
        valset: list[Any],
        runner: TrialRunner,
        parents: list[str],
        target: float | None,
        spending: Spending,
    ) -> Any:
        """Score the candidates in order until one stops the search; returns the last one."""
        recorder = runner.run.recorder
        program = None
        planned = len(self.seeds())
        for number, seed in enumerate(self._search_seeds(), start=1):
            runner.run.check_cancel()
            best = runner.run.best
            if self.race and best is not None and best.score >= MAX_EXAMPLE_SCORE:
                recorder.log(
                    f"a candidate scored the maximum ({best.score:.3f}); no later one can beat it"
                )
                break
            if self._close_enough(best, len(valset)):
                assert best is not None
                missed = best.n * (MAX_EXAMPLE_SCORE - best.score)
                recorder.log(
                    f"the best candidate misses {missed:g} of {best.n} validation rows: no later "
                    "one could beat it by a margin these rows can tell apart, so the search ends "
                    "here"
                )
                break
            if spending.spent_out():
                recorder.log(spending.words(number - 1, planned))
                break
            program, origin = builds.take()
            of = f"{number} of {planned}" if number <= planned else f"{number} (extra)"
            recorder.phase(
                "evaluating candidates",
                f"candidate {of}: {origin}, on {len(valset)} validation examples",
            )
            trial = runner.evaluate(
                program, valset, subset="val", parents=parents, origin=origin, race=self.race
            )
            # the teacher runs its bootstrapping counts as work: all it made, or with one
            # teacher those no earlier seed made (the LM cache answers the rest)
            rows = self._teacher_rows.get(seed, frozenset())
            work = spending.new_teacher_runs(rows) if self.one_teacher else len(rows)
            spending.candidate_done(trial, work, bootstrapped=seed >= -1)
            if target is not None and trial.subset == "val" and trial.score >= target:
                recorder.log(
                    f"stop_at_score {self.stop_at_score} reached by {origin} ({trial.score:.3f})"
                )
                break
        return program


BootstrapRS = BootstrapFewShotWithRandomSearch
