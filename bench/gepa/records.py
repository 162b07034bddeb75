"""The GEPA bench's records: a compile setup and one framework's outcome (MIPROv2's, plus GEPA's
budget and search counts).

Plain data (no dspy, no engine), so the report can be rebuilt from a saved `--json` file.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from bench.mipro.records import MiproOutcome, outcome_from


@dataclass(frozen=True)
class GepaSetup:
    """One compile setup, run by both frameworks. Only DSPy's parse of its reflection LM's reply
    differs between setups; the GEPA settings are the command's, the same for every setup."""

    key: str
    title: str
    lenient_reflection: bool = False

    def describe(self) -> str:
        if self.lenient_reflection:
            return (
                "DSPy's instruction proposer: InstructionProposer(adapter="
                "LenientReflectionAdapter()), JSONAdapter's prompt with a lenient parse"
            )
        return "DSPy's instruction proposer: InstructionProposer() (JSONAdapter, its default)"

    def tunesmith_key(self) -> tuple[()]:
        """What reaches Tunesmith's run: nothing of the setup (its reflection reads plain text),
        so every setup is the same Tunesmith run."""
        return ()


@dataclass
class GepaOutcome(MiproOutcome):
    """One framework's GEPA run in one setup. `roles` has "task" and "proposer" (the reflection
    LM's calls)."""

    budget: int = 0  # max_metric_calls asked for
    metric_calls: int | None = None  # the framework's own count of metric calls spent
    metric_fn_calls: int = 0  # calls of the metric function (incl. per-predictor feedback)
    candidates: int = 0  # programs scored on the valset (the pool), the student included
    reflections: int = 0  # reflection steps that asked the reflection LM for an instruction
    reflections_failed: int = 0  # of those, the steps that got no usable instruction
    best_val: float | None = None  # the chosen candidate's validation score, 0..1


def gepa_outcome_from(data: dict[str, Any]) -> GepaOutcome:
    """A GepaOutcome back from its saved dict."""
    base = outcome_from(data)
    common = {f.name: getattr(base, f.name) for f in fields(MiproOutcome)}
    extra = {f.name: data.get(f.name) for f in fields(GepaOutcome) if f.name not in common}
    return GepaOutcome(**common, **{k: v for k, v in extra.items() if v is not None})


def gepa_setup_from(data: dict[str, Any]) -> GepaSetup:
    return GepaSetup(**data)
