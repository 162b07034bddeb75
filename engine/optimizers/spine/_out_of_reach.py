"""Out of reach (`stop_when_out_of_reach`): whether the rest of a run's call budget is unlikely
to find a program that beats the best one, given the spread of the run's scorings so far.

The scorings of the best one's rows (k >= 3) give a mean m and a spread s (at least the best
score's own binomial error, so equal scores never give none); the calls left, divided by the
calls a scoring took so far, give R more scorings. The chance that one of them beats the best
by a row is 1 - Phi((best + 0.5/n - m) / s) ** R.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from engine.lm.budget import Budget
from engine.optimizers.spine._trial import Trial

MIN_SCORINGS = 3  # fewer give no spread worth the name


@dataclass(frozen=True)
class Reach:
    """What the rule saw: the chance that `left` more scorings beat `best` (a score in [0, 1]),
    from the spread of `seen` scorings."""

    chance: float
    left: int
    seen: int
    best: float

    def words(self) -> str:
        """Why the search stopped, in a sentence a person can read."""
        more = f"about {self.left} more scoring{'s' if self.left != 1 else ''}"
        return (
            f"stopped early: {more} had {chance_words(self.chance)} of beating the best "
            f"validation score ({100 * self.best:.0f}%), given the spread of the {self.seen} "
            "scorings so far"
        )


def chance_words(chance: float) -> str:
    """'a 12% chance', or 'a 4.6% chance' below 10%, rounded down (a chance under a 5% limit
    never reads as 5%); 'less than a 0.1% chance' below that."""
    if chance < 0.001:
        return "less than a 0.1% chance"
    if chance < 0.1:
        return f"a {math.floor(1000 * chance) / 10:.1f}% chance"
    return f"a {math.floor(100 * chance)}% chance"


def calls_left(budget: Budget | None) -> int | None:
    """LM calls the budget still grants (None: it has no call limit)."""
    if budget is None or budget.max_calls is None:
        return None
    return int(budget.max_calls) - int(budget.spent()["calls"])


def beat_chance(best: float, n: int, scores: list[float], left: int) -> float:
    """The chance that any of `left` more scorings on `n` rows beats `best` by at least a row,
    were they drawn like `scores` (a normal of their mean and spread; see the module)."""
    mean = sum(scores) / len(scores)
    spread = math.sqrt(sum((s - mean) ** 2 for s in scores) / (len(scores) - 1))
    floor = math.sqrt(best * (1 - best) / n) if 0 < best < 1 else 1 / n
    z = (best + 0.5 / n - mean) / max(spread, floor)
    above = 0.5 * math.erfc(z / math.sqrt(2))  # one scoring beats it: 1 - Phi(z)
    if above >= 1.0:
        return 1.0
    return -math.expm1(left * math.log1p(-above))  # 1 - (1 - above) ** left, kept exact


def out_of_reach(best: Trial, trials: Iterable[Trial], calls: int | None) -> Reach | None:
    """The chance the rest of the budget (`calls` left; None: no call limit) beats `best`, from
    the whole scorings on its rows; None when the rule cannot judge (no limit, fewer than
    `MIN_SCORINGS` scorings, no calls spent on them, or nothing left: the budget's end)."""
    if calls is None or calls <= 0 or best.n <= 0:
        return None
    rows = set(best.example_scores)
    same = [t for t in trials if t.subset == best.subset and set(t.example_scores) == rows]
    if len(same) < MIN_SCORINGS:
        return None
    spent = sum(_calls(t) for t in same) / len(same)
    left = int(calls // spent) if spent > 0 else 0
    if left <= 0:
        return None
    chance = beat_chance(best.score, best.n, [t.score for t in same], left)
    return Reach(chance=chance, left=left, seen=len(same), best=best.score)


def _calls(trial: Trial) -> int:
    """The calls a scoring took from the budget (a cached answer takes none)."""
    usage = trial.usage or {}
    return int(usage.get("uncached_calls", usage.get("calls", 0)) or 0)
