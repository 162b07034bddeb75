"""What a pilot measured: the figures a forecast reads instead of assuming them.

A pilot (`engine.optimizers.pilot.run_pilot`) runs the student on a few training rows with the
run's task LM, as the run will, before the run. `PilotFigures` is its result; an estimate given
one (`Optimizer.estimate(..., pilot=...)`) replaces its assumptions with these figures and says
so in its notes. Design: docs/design/estimate_pilot.md.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class PilotFigures:
    """A pilot's measurements on `rows` training rows.

    `calls_per_run`: task LM calls per program run as it is (parse fallbacks, ReAct iterations,
    refine attempts included); `hit_rate`: its mean score. The `rollout_*` figures are for
    SIMBA's sampled variants (rollouts 1..k of the LM), None when none were run. `scores` and
    `rollout_scores` are the measured rows ({example id: score}, {"<rollout>:<example id>":
    score}), so a forecast can reuse them exactly. `rules_tried` / `rules_kept`: SIMBA rules the
    prompt model wrote on rows where the variants disagreed, and how many survived cleaning.
    `calls`: every LM call the pilot made (they come back from the cache in the run).
    """

    rows: int
    calls_per_run: float
    hit_rate: float
    scores: dict[str, float] = field(default_factory=dict)
    rollouts: int = 0
    rollout_calls_per_run: float | None = None
    rollout_hit_rate: float | None = None
    rollout_scores: dict[str, float] = field(default_factory=dict)
    disagree: float | None = None  # share of rows where the variants' scores differ
    rules_tried: int = 0
    rules_kept: int = 0
    calls: int = 0
    seconds: float = 0.0

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
                f"{self.rollout_hit_rate or 0:.0%} for its {self.rollouts} sampled rollout(s)"
            )
            parts.append(f"the variants disagreeing on {self.disagree or 0:.0%} of rows")
        if self.rules_tried:
            parts.append(f"{self.rules_kept} of {self.rules_tried} rule(s) kept")
        return f"measured by a pilot on {self.rows} training row(s): " + ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "rule_keep_rate": self.rule_keep_rate}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PilotFigures:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)
