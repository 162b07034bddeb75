"""SIMBA's steps on the Run page: per step, the rows its variants disagreed on and what it added
for them (a demo or a rule), with the new prompt's score on that step's batch."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from dashboard import safe
from engine.runs import example_results

SHORT = 90


def _short(value: Any, limit: int = SHORT) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _demo_text(demo: dict[str, Any]) -> str:
    shown = {k: v for k, v in demo.items() if k != "augmented"}
    return _short(" · ".join(f"{k}: {v}" for k, v in shown.items()))


def latest_steps(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The `simba_step` payloads, one per step number (the last one recorded), in order."""
    by_step = {e["data"]["step"]: e["data"] for e in events if e.get("type") == "simba_step"}
    return [by_step[n] for n in sorted(by_step)]


def step_rows(steps: list[dict[str, Any]], labels: dict[str, str]) -> list[dict[str, Any]]:
    """One table row per addition (or one per step that added nothing)."""
    rows = []
    for step in steps:
        disagreed = sum(1 for b in step.get("spread", []) if b["max"] > b["min"])
        variants = [v["score"] for v in step.get("variants", [])]
        common = {
            "step": step["step"],
            "rows disagreed on": f"{disagreed} of {len(step.get('spread', []))}",
            "best variant": max(variants, default=None),
        }
        for added in step.get("added", []):
            what = added.get("text") or _demo_text(added.get("demo") or {})
            rows.append({
                **common,
                "added": added["strategy"],
                "step of the program": added["predictor"],
                "what": what,
                "from row": _short(labels.get(added["from_example"], added["from_example"]), 60),
                "new prompt on the batch": added.get("score"),
            })  # fmt: skip
        if not step.get("added"):
            dropped = sum((step.get("rules") or {}).get("dropped", {}).values())
            why = f"{dropped} rule(s) dropped as unusable" if dropped else "nothing to add"
            rows.append({**common, "added": "—", "step of the program": "", "what": why,
                         "from row": "", "new prompt on the batch": None})  # fmt: skip
    return rows


def simba_steps(events: list[dict[str, Any]], labels: dict[str, str] | None = None) -> None:
    """The step table (nothing when the run has no SIMBA steps)."""
    steps = latest_steps(events)
    if not steps:
        return

    with st.container(border=True):
        st.markdown("#### SIMBA's steps")
        total = steps[-1].get("steps", len(steps))
        st.caption(
            f"{len(steps)} of {total} steps. Each step runs a few variants of the best prompts "
            "on a batch of training rows, finds the rows they disagree on, and adds a worked "
            "example (demo) or a rule for them. Scores are on that step's batch."
        )
        st.dataframe(pd.DataFrame(step_rows(steps, labels or {})), hide_index=True)
        dropped: dict[str, int] = {}
        for step in steps:
            for why, n in ((step.get("rules") or {}).get("dropped") or {}).items():
                dropped[why] = dropped.get(why, 0) + n
        if dropped:
            reasons = ", ".join(f"{n} {why}" for why, n in sorted(dropped.items()))
            st.caption(
                f"Rules the prompt model wrote that were dropped as unusable: {safe.md(reasons)}."
            )


def step_labels(run_id: str, steps: list[dict[str, Any]], db: Any) -> dict[str, str]:
    """Example id -> its inputs as one line, from each step's first variant's results."""
    labels: dict[str, str] = {}
    for candidate in {s["variants"][0]["candidate"] for s in steps if s.get("variants")}:
        for row in example_results(run_id, candidate=candidate, db_path=db):
            labels[row["example_id"]] = " · ".join(map(str, (row["inputs"] or {}).values()))
    return labels


def simba_step_run_view(view: Any) -> None:
    """The Run page's view of SIMBA's `simba_step` events (`run_view.VIEWS`)."""
    simba_steps(view.events, step_labels(view.run_id, latest_steps(view.events), view.db))
