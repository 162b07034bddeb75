"""The Run page's view of weight training: the loss per training step as a line (it should
fall), the steps done of the planned ones, and the speed."""

from __future__ import annotations

from typing import Any

import streamlit as st


def training_steps(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The last attempt's `training_step` payloads per training job, in step order (a run
    resumed after a crash trains again from step 1: the earlier attempt's steps are dropped)."""
    by_job: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        if event.get("type") != "training_step":
            continue
        data = event["data"]
        steps = by_job.setdefault(str(data.get("job", "")), [])
        if steps and data["step"] <= steps[-1]["step"]:
            steps.clear()  # training started again
        steps.append(data)
    return [step for steps in by_job.values() for step in steps]


def training_run_view(view: Any) -> None:
    """The Run page's section for `training_step` events (`run_view.VIEWS`)."""
    steps = training_steps(view.events)
    if not steps:
        return
    st.subheader("Training the model")
    last = steps[-1]
    st.caption(
        f"Step {last['step']} of {last['steps']}: error on the lesson text {last['loss']:.3f} "
        f"(lower is better), {last['tokens_per_second']:.1f} word pieces per second."
    )
    st.line_chart(
        {"step": [s["step"] for s in steps], "error": [s["loss"] for s in steps]},
        x="step", y="error", height=220,
    )  # fmt: skip
