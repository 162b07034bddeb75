"""A random search's work against its call target (runs from a spec set `spend_share`).

The work is counted as the estimate counts it: calls per row times the validation rows scored
and the teacher runs, not read from the ledger, so a resumed run, whose replayed rows cost
nothing and whose teacher runs come from the cache, stops where the first attempt would have.
With `one_teacher=True` only the teacher runs no earlier seed made count (the LM cache answers
the others, the same prompt), as the estimate counts them: the search spends what it saves on
more candidates.

On a model that keeps the start of the prompts it read (the embedded model), a new bootstrapped
candidate also reads whole new prompts: its teacher's, again from the left-out demo on for
every training row the teacher traces that is one of its own demos, and its first validation
row's. That costs time but no calls, so each such candidate also counts `NEW_PROMPT_CALLS`
calls of work. Without it, a seed whose candidates racing stops early buys many more of them
with the calls it saved, and its minutes run far over the forecast (docs/design/forecast.md).
How much of the demos the teachers read again depends on where the run seed's draw puts them,
which is known before the run: the estimate counts it in the minutes (`read_again_tokens`),
not in the work."""

from __future__ import annotations

import math
from typing import Any

from engine.core import settings
from engine.optimizers.bootstrap import demos_read_again, typical_demos_read_again
from engine.optimizers.spine import calls_per_run

# What a new bootstrapped candidate's whole-prompt reads cost on the embedded model, in calls:
# 9.1 s a candidate against 0.21 s a call, fitted on the candidates of eight default runs of the
# generated spam/ham project on 2 cores (bench/results/forecast.md).
NEW_PROMPT_CALLS = 40
# ... with one teacher for every seed, whose prompts the model has mostly read already: 2.7 s a
# candidate against 0.37 s a call, fitted on the candidates of eight such runs on another 2-core
# machine (bench/results/forecast.md, "One teacher").
ONE_TEACHER_PROMPT_CALLS = 7
# Where the draw puts a run's labeled demos decides how much of them its teachers read again
# (`demos_read_again`); the forecast's minutes count how far that is from a typical draw. The
# share of teacher runs the embedded model's metric accepts, which sets the rows a teacher traces
# (131 bootstraps of eight default runs: 3.1 rows for 1 demo, 10.6 for 4), ...
EMBEDDED_TEACHER_SUCCESS = 0.4
# ... and what a demo read again costs against an estimated token of the forecast's speed:
# 0.153 s a demo (~46 estimated tokens of the generated spam/ham rows) in a least-squares fit of
# those bootstraps' seconds (0.254 s a teacher call, 1.5 s a bootstrap, 0.153 s a demo read
# again), at 0.75 ms an estimated token (`TYPICAL_SECONDS_PER_TOKEN`, that machine's read speed).
READ_AGAIN_WEIGHT = 4.4


def new_prompt_calls(one_teacher: bool = False) -> int:
    """The calls' worth of work a new candidate's prompt reads cost on the configured task LM:
    `NEW_PROMPT_CALLS` (`ONE_TEACHER_PROMPT_CALLS` when every seed has one teacher) on a model
    that reuses prompt starts, 0 on one that does not."""
    lm = settings.lm  # None stands for the embedded model
    if not (lm is None or bool(getattr(lm, "reuses_prompt_start", False))):
        return 0
    return ONE_TEACHER_PROMPT_CALLS if one_teacher else NEW_PROMPT_CALLS


def read_again_tokens(
    run_seed: int, n_train: int, labeled: int, demo_counts: list[int], predictors: int,
    demo_tokens: int,
) -> int:  # fmt: skip
    """What the teachers of candidates bootstrapping `demo_counts` demos read again beyond a
    typical draw of their labeled demos' positions (negative: less), as estimated tokens of
    the forecast's time (each of `demo_tokens`, weighted by `READ_AGAIN_WEIGHT`); 0 on a model
    that does not keep prompt starts."""
    if not new_prompt_calls() or n_train <= 0:
        return 0
    deviation = 0.0
    for count in demo_counts:
        if count <= 0:
            continue
        traced = min(n_train, math.ceil(count / EMBEDDED_TEACHER_SUCCESS))
        deviation += demos_read_again(n_train, labeled, run_seed, traced, predictors)
        deviation -= typical_demos_read_again(n_train, labeled, traced, predictors)
    return round(deviation * demo_tokens * READ_AGAIN_WEIGHT)


def most_calls(work: int, most: int, weight: int, unweighted: int = 0) -> int:
    """The most calls a search can make whose `work` target counts each bootstrapped candidate
    as `weight` calls more, when each candidate costs at most `most` calls and those that do
    not bootstrap (the baseline, zero-shot, labeled only) at most `unweighted` in all: every
    candidate at its most, and the one more it may start before the target is reached."""
    if weight <= 0:
        return work + most
    weighted = max(0, work - unweighted)
    return unweighted + math.ceil(weighted * most / (most + weight)) + most


class Spending:
    """A search's work against its target (`calls`, the estimate's, plus `weight` for each of
    the `planned` bootstrapped candidates). No new candidate starts when the work done plus
    half of what a bootstrapped candidate has cost so far reach the target (so the run ends as
    near it above as below)."""

    def __init__(
        self, calls: int | None, trials: list[Any], student: Any, most: int, *,
        weight: int = 0, planned: int = 0,
    ) -> None:  # fmt: skip
        self.calls, self.weight = calls, weight
        self.target = None if calls is None else calls + weight * planned
        self.per_row, self.most = calls_per_run(student), most + weight
        self.seen = {t.number for t in trials}  # the baseline: scored before the search
        self.done = sum(t.n for t in trials) * self.per_row
        self.costs: list[int] = []  # what each bootstrapped candidate cost
        self.traced: set[tuple[int, int]] = set()  # one teacher: the (row, round)s it ran

    def candidate_done(self, trial: Any, teacher_runs: int, bootstrapped: bool) -> None:
        """Count a scored candidate and the teacher runs its bootstrapping made."""
        scored = 0 if trial.number in self.seen else trial.n  # a duplicate costs nothing
        self.seen.add(trial.number)
        cost = (scored + teacher_runs) * self.per_row
        if bootstrapped:
            cost += self.weight
            self.costs.append(cost)
        self.done += cost

    def new_teacher_runs(self, rows: frozenset[tuple[int, int]]) -> int:
        """How many of a candidate's teacher runs (one teacher's (row, round)s) no candidate
        before it made; candidates are counted in order, so a resumed run counts the same."""
        new = rows - self.traced
        self.traced |= new
        return len(new)

    def done_share(self) -> float | None:
        """The share of the target's work done so far (None: no target)."""
        if self.target is None:
            return None
        return min(1.0, self.done / self.target) if self.target > 0 else 1.0

    def spent_out(self) -> bool:
        if self.target is None:
            return False
        typical = sum(self.costs) / len(self.costs) if self.costs else 0.0
        return self.done + typical / 2 >= self.target

    def surely_starts(self, unfinished: int) -> bool:
        """Whether the candidate after `unfinished` ones still being built or scored will start
        whatever they cost (each at most `most`): only such a candidate is built ahead, so a
        search with a call target wastes no build ahead and stops at the same candidate every
        time (a build stopped mid-way would cost a different number of calls each time)."""
        if self.target is None:
            return True
        return self.done + unfinished * self.most + self.most / 2 < self.target

    def words(self, tried: int, planned: int) -> str:
        if tried > planned:
            how = f"{tried - planned} more than the {planned} planned, on what racing saved"
        elif tried < planned:
            how = f"of the {planned} planned: scoring could seldom stop early on these rows"
        else:
            how = "as planned"
        spent = f"its ~{self.calls:,} planned calls"
        if self.weight:
            spent += (
                f" (each new example set also counted as {self.weight} calls: this model takes "
                "that long to read its new prompts)"
            )
        return f"the search spent {spent}: {tried} candidates tried, {how}"
