"""A small optimizer registered from its own module, as a plugin would be (nothing shared is
edited for it): FirstRows puts the first k training rows in the prompt as demos, scores that
program on the validation rows, and tells the Run page which rows it picked (its view of that
event added to the dashboard's `VIEWS`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from dashboard.widgets.run.run_view import VIEWS
from engine.optimizers import Candidate, Estimate, Optimizer, example_id
from engine.optimizers.registry import EventKind, OptimizerEntry, Param, register
from engine.optimizers.spine import CompileJob, Workload, baseline_and_result_scoring

EVENT = "rows_picked"


class FirstRows(Optimizer):
    """`FirstRows(k=2, metric=...)`: the first k training rows as every predictor's demos."""

    def __init__(
        self,
        k: int = 2,
        *,
        metric: Callable[..., Any] | None = None,
        num_threads: int | None = None,
    ) -> None:
        self.k = k
        self.metric = metric
        self.num_threads = num_threads

    def _estimate(self, work: Workload) -> Estimate:
        calls, tokens = baseline_and_result_scoring(
            work.valset, work.per_example, min(self.k, len(work.trainset))
        )
        return Estimate({"task": calls}, tokens, 2, "baseline and the first rows' program")

    def _compile(self, job: CompileJob) -> Any:
        program = job.student.reset_copy()
        rows = job.trainset[: self.k]
        for _, predictor in program.named_predictors():
            predictor.demos = [row.copy() for row in rows]
        job.runner.run.recorder.emit(EVENT, ids=[example_id(row) for row in rows])
        parents = [Candidate.from_program(job.student).hash]
        job.runner.evaluate(
            program, job.valset, subset="val", parents=parents, origin=f"first {self.k} rows"
        )
        return program


def rows_picked_view(view: Any) -> None:
    """The Run page's section for FirstRows' event."""
    st.markdown("#### Rows FirstRows picked")
    st.caption(", ".join(view.events[-1]["data"]["ids"]))


ENTRY = register(
    OptimizerEntry(
        name="FirstRows", factory=FirstRows, aliases=("first_rows",),
        label="The first rows: FirstRows",
        goal="Puts the first training rows in the prompt, as they come.",
        params=(Param("k", int, 2, "Rows in the prompt", low=1, high="train"),),
        events=(EventKind(EVENT),),
        estimate_tolerance=0.0,
    )
)  # fmt: skip
VIEWS[EVENT] = rows_picked_view
