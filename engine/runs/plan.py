"""Pre-flight: what a run of a spec will do and cost, without any LM call (the budget card)."""

from __future__ import annotations

from typing import Any

from engine.runs.data import load_data, validate_spec_against_data
from engine.runs.pipeline import build_metric, build_program
from engine.runs.spec import ProjectSpec


def preflight(spec: ProjectSpec) -> dict[str, Any]:
    """Validate `spec` and forecast its run. Raises SpecError like `validate_spec_against_data`.

    Returns {"report": DataReport.to_dict(), "optimizer": name, "reason": why,
    "estimate": Estimate.to_dict() of the optimization, "test_calls": calls of the held-out
    scoring (baseline + best, outside the budget), "budget": the spec's limits}.
    """
    from engine.runs.worker import make_optimizer

    report = validate_spec_against_data(spec)
    data = load_data(spec)
    program = build_program(spec)
    optimizer, name, reason = make_optimizer(spec, len(data.train), build_metric(spec))
    estimate = optimizer.estimate(data.train, data.val or None, student=program)
    test_calls = 2 * len(data.test) * len(program.named_predictors())
    return {
        "report": report.to_dict(),
        "optimizer": name,
        "reason": reason,
        "estimate": estimate.to_dict(),
        "test_calls": test_calls,
        "budget": spec.optimizer.budget.model_dump(),
    }
