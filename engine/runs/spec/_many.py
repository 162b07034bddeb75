"""The step options that run a step several times besides `refine`: a MultiChainComparison
step's `m` and a Predict/ChainOfThought step's `samples` (Parallel + majority), and the rule
that a step takes at most one of them (docs/design/step_types.md)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, field_validator

from engine.runs.spec._steps import REFINE_MAX_N, _Compact, attempts_key

SAMPLED_MODULES = ("Predict", "ChainOfThought")  # `samples` votes over their last output
MCC_M = (2, 10, 3)  # a MultiChainComparison step's attempts: least, most, default

_FORBID = ConfigDict(extra="forbid")


class SamplesSpec(_Compact):
    """Run the step `n` times (engine Parallel, distinct rollouts) and keep the answer most of
    them gave (`reduce: majority`, over the step's last output)."""

    model_config = _FORBID
    n: int = 3
    reduce: Literal["majority"] = "majority"

    @field_validator("n")
    @classmethod
    def _n(cls, value: int) -> int:
        if not 2 <= value <= REFINE_MAX_N:
            raise ValueError(
                f"n must be from 2 to {REFINE_MAX_N} samples, got {value} (each sample is one "
                "more run of the step)"
            )
        return value


def check_many(step: Any) -> None:
    """The options that run a step several times: `m` (MultiChainComparison), `samples`,
    `refine`; at most one per step."""
    name, module = step.name, step.module
    if step.m is not None and module != "MultiChainComparison":
        raise ValueError(f"step {name!r}: m is only used by a MultiChainComparison step")
    low, high, _ = MCC_M
    if step.m is not None and not low <= step.m <= high:
        raise ValueError(
            f"step {name!r}: m must be from {low} to {high} attempts, got {step.m} (each attempt "
            "is one LM call, plus one call that compares them)"
        )
    if module == "MultiChainComparison" and (step.refine is not None or step.samples):
        option = "refine" if step.refine is not None else "samples"
        raise ValueError(
            f"step {name!r}: a MultiChainComparison step already compares several attempts; "
            f"{option} is not used with it (raise m instead)"
        )
    if step.samples is not None and module not in SAMPLED_MODULES:
        raise ValueError(
            f"step {name!r}: samples is for Predict and ChainOfThought steps (a {module} step "
            "has no single answer to vote on)"
        )
    if step.samples is not None and step.refine is not None:
        raise ValueError(
            f"step {name!r}: use samples or refine, not both: samples votes among n answers, "
            "refine keeps the first good one; together the calls would multiply (n x tries)"
        )
    what = "refine attempts" if step.refine is not None else "samples" if step.samples else None
    what = "attempts" if module == "MultiChainComparison" else what
    if what and attempts_key(name) in [f.name for f in step.fields]:
        key = attempts_key(name)
        raise ValueError(f"step {name!r}: {key!r} lists the {what}; rename that field")
