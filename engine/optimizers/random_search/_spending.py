"""A random search's work against its call target (runs from a spec set `spend_share`;
docs/design/forecast.md). The work is counted as the estimate counts it (calls per row times the
validation rows scored, and the teacher runs; with `one_teacher=True` only those no earlier seed
made), not read from the ledger, so a resumed run stops where the first attempt would have. On a
model that keeps prompt starts, each new bootstrapped candidate also counts `NEW_PROMPT_CALLS`
calls of work for the whole new prompts it reads; how much of its demos its teacher reads again
is counted in the minutes (`read_again_tokens`), not in the work."""

from __future__ import annotations

import math
from typing import Any

from engine.core import settings
from engine.optimizers.bootstrap import demos_read_again, typical_demos_read_again
from engine.optimizers.spine import calls_per_run

# Fitted on the embedded model (docs/design/forecast.md, bench/results/forecast.md): a new
# bootstrapped candidate's whole-prompt reads, in calls (with one teacher for every seed: less)
NEW_PROMPT_CALLS = 40
ONE_TEACHER_PROMPT_CALLS = 7
# the share of teacher runs the embedded model's metric accepts (the rows a teacher traces), and
# what a demo read again costs against an estimated token of the forecast's speed
EMBEDDED_TEACHER_SUCCESS = 0.4
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
