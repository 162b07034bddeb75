"""GEPA: reflective instruction rewrites kept on a Pareto front of validation rows."""

from typing import Any

from engine.optimizers.gepa._gepa import GEPA
from engine.optimizers.registry import EventKind, OptimizerEntry, Param, register


def _step(data: dict[str, Any]) -> str | None:
    """'4/reflection': a reflection step by its iteration and kind."""
    if "iteration" not in data:
        return None
    return f"{data['iteration']}/{data.get('kind', 'reflection')}"


register(OptimizerEntry(
    name="GEPA", factory=GEPA, rank=50,
    aliases=("gepa",),
    label="Learn from feedback: GEPA",
    goal="The proposer model reads where the prompt went wrong, and why, and rewrites the "
    "instruction; it keeps the rewrites that are best on some of your rows.",
    params=(
        Param("auto", str, "light", help="Search size: light, medium or heavy.", optional=True),
        Param("max_metric_calls", int, 200, help="Program runs GEPA may spend.", optional=True),
        Param("reflection_minibatch_size", int, 3, help="Rows the reflection reads."),
        Param("use_merge", bool, True, help="Combine candidates that improved different steps."),
    ),
    roles={"proposer": "reflection_lm"},
    events=(EventKind("reflection", view="dashboard.widgets.lineage_view:gepa_run_view",
                      step=_step),),
    widget="dashboard.widgets.gepa_choice:gepa_settings",
    note=lambda params: "GEPA's own settings are under the search size above.",
    pilot=lambda rows: f"on the first {rows} rows GEPA will reflect on",
    estimate_tolerance=None,  # an upper bound: the search may stop early
))  # fmt: skip

__all__ = ["GEPA"]
