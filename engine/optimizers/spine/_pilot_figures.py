"""What a pilot measured: the figures a forecast reads instead of assuming them.

A pilot (`spine._pilot.run_pilot`) runs the student on a few training rows with the
run's task LM, as the run will, before the run. `PilotFigures` is its result; an estimate given
one (`Optimizer.estimate(..., pilot=...)`) replaces its assumptions with these figures and says
so in its notes. Design: docs/design/estimate_pilot.md.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class CallFigures:
    """LM calls of one program run: `base` (no fallback), the share of runs needing a parse
    fallback, and the share of fallbacks that were read (None: unknown)."""

    base: float
    need: float
    success: float | None


@dataclass(frozen=True)
class PilotFigures:
    """A pilot's measurements on `rows` training rows.

    `calls_per_run`: task LM calls per program run as it is (parse fallbacks, ReAct iterations,
    refine attempts included); `hit_rate`: its mean score. The `rollout_*` figures are for
    SIMBA's sampled variants (rollouts 1..k of the LM), None when none were run. `scores` and
    `rollout_scores` are the measured rows ({example id: score}, {"<rollout>:<example id>":
    score}), so a forecast can reuse them exactly. `rules_tried` / `rules_kept`: SIMBA rules the
    prompt model wrote on rows where the variants disagreed, and how many survived cleaning.
    `added_scores`: the program the run would likely build first with one addition (SIMBA: a
    demo) scored on the same rows as `scores` ({} when not run): how much an addition changes
    the model's answers. `calls`: every LM call the pilot made (they come back from the cache
    in the run).

    Parse fallbacks (the adapter's extra call when a reply cannot be read) are measured apart,
    because a run pays them per prompt family only until its first few all failed
    (`FallbackRecord`): `fallback_need` is the share of runs whose reply needed one,
    `fallback_paid` the fallback calls made per run, `fallback_success` the share of those that
    were read (None: none made); the same with `rollout_` for the sampled runs.
    """

    rows: int
    calls_per_run: float
    hit_rate: float
    scores: dict[str, float] = field(default_factory=dict)
    rollouts: int = 0
    rollout_rows: int = 0
    rollout_calls_per_run: float | None = None
    rollout_hit_rate: float | None = None
    rollout_scores: dict[str, float] = field(default_factory=dict)
    disagree: float | None = None  # share of rows where the variants' scores differ
    rules_tried: int = 0
    rules_kept: int = 0
    added_scores: dict[str, float] = field(default_factory=dict)
    calls: int = 0
    seconds: float = 0.0
    fallback_need: float = 0.0
    fallback_paid: float = 0.0
    fallback_success: float | None = None
    rollout_fallback_need: float = 0.0
    rollout_fallback_paid: float = 0.0
    rollout_fallback_success: float | None = None

    def call_figures(self, sampled: bool) -> CallFigures:
        """Calls of one program run as it is (or sampled): without fallbacks, and the odds a
        fallback is needed and is read."""
        if sampled and self.rollout_calls_per_run is not None:
            per, paid = self.rollout_calls_per_run, self.rollout_fallback_paid
            return CallFigures(
                max(0.0, per - paid), self.rollout_fallback_need, self.rollout_fallback_success
            )
        base = max(0.0, self.calls_per_run - self.fallback_paid)
        return CallFigures(base, self.fallback_need, self.fallback_success)

    @property
    def added_agree(self) -> float | None:
        """The share of rows where the program with an addition scored as the student did;
        None when the pilot built none."""
        same = [self.added_scores[i] == s for i, s in self.scores.items() if i in self.added_scores]
        return sum(same) / len(same) if same else None

    @property
    def rule_keep_rate(self) -> float | None:
        """The share of written rules that survived cleaning; None when none were written."""
        return self.rules_kept / self.rules_tried if self.rules_tried else None

    def describe(self) -> str:
        """One line for an estimate's notes: what was measured, on how many rows."""
        parts = [
            f"{self.calls_per_run:.2f} task calls per program run",
            f"a hit rate of {self.hit_rate:.0%}",
        ]
        if self.rollouts:
            parts.append(
                f"{self.rollout_calls_per_run or 0:.2f} calls and a hit rate of "
                f"{self.rollout_hit_rate or 0:.0%} for its {self.rollouts} sampled rollout(s) "
                f"on {self.rollout_rows} of them"
            )
            parts.append(f"the variants disagreeing on {self.disagree or 0:.0%} of rows")
        if self.fallback_need or self.rollout_fallback_need:
            parts.append(
                f"{self.fallback_need:.0%} of runs needing a parse fallback"
                + (
                    f" ({self.fallback_success:.0%} of those read)"
                    if self.fallback_success is not None
                    else ""
                )
            )
        if self.rules_tried:
            parts.append(f"{self.rules_kept} of {self.rules_tried} rule(s) kept")
        if self.added_agree is not None:
            parts.append(
                f"a demo added changing the score on {1 - self.added_agree:.0%} of rows "
                f"({sum(self.added_scores.values()):g} of {len(self.added_scores)} right with it)"
            )
        return f"measured by a pilot on {self.rows} training row(s): " + ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            **asdict(self), "rule_keep_rate": self.rule_keep_rate, "added_agree": self.added_agree
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PilotFigures:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)
