"""Pre-flight: what a run of a spec will do and cost, without any LM call (the budget card)."""

from __future__ import annotations

from typing import Any

from engine.optimizers.budget import calls_per_run
from engine.runs.data import load_data, validate_spec_against_data
from engine.runs.pipeline import build_lm, build_metric, build_program
from engine.runs.spec import ProjectSpec
from engine.settings import settings


def preflight(spec: ProjectSpec) -> dict[str, Any]:
    """Validate `spec` and forecast its run. Raises SpecError like `validate_spec_against_data`.

    Returns {"report": DataReport.to_dict(), "optimizer": name, "reason": why,
    "estimate": Estimate.to_dict() of the optimization (with the calls of an LM-judged metric
    under "judge"), "test_calls": calls of the held-out scoring (baseline + best, outside the
    budget), "budget": the spec's limits}.
    """
    from engine.runs.worker import make_optimizer

    report = validate_spec_against_data(spec)
    data = load_data(spec)
    program = build_program(spec)
    metric = build_metric(spec)
    optimizer, name, reason = make_optimizer(spec, len(data.train), metric)
    with settings.context(lm=build_lm(spec.models.task)):  # what the run will be configured with
        estimate = optimizer.estimate(data.train, data.val or None, student=program).to_dict()
    steps = calls_per_run(program)  # task calls per row, at most (tries and samples counted)
    test_calls = 2 * len(data.test) * steps
    judged = int(getattr(metric, "lm_calls_per_score", 0) or 0)
    if judged:  # an LM-judged metric: its calls per scored example, under role "judge"
        estimate["calls"]["judge"] = estimate["calls"].get("task", 0) // steps * judged
        estimate["total_calls"] = sum(estimate["calls"].values())
        test_calls += 2 * len(data.test) * judged
    return {
        "report": report.to_dict(),
        "optimizer": name,
        "reason": reason,
        "estimate": estimate,
        "test_calls": test_calls,
        "budget": spec.optimizer.budget.model_dump(),
    }
