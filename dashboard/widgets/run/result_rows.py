"""The best prompt's answers on the held-out test rows, each with its score and the metric's
reason (Run page)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from dashboard.run_data.compare import answer_text, failure_text
from engine.runs import example_results, is_constraint_failure, is_off_list


def test_rows_table(rows: list[dict[str, Any]], label_fields: list[str]) -> pd.DataFrame:
    """One line per test row: input, answer, score, and why (feedback, else the error)."""
    table = []
    for r in sorted(rows, key=lambda r: r.get("idx") or 0):
        failed = isinstance(r.get("error"), str) and r["error"].strip()
        table.append(
            {
                "example": " | ".join(str(v) for v in (r.get("inputs") or {}).values())[:120],
                "answer": failure_text(r["error"])
                if failed
                else answer_text(r.get("outputs"), label_fields),
                "score": float(r.get("score") or 0.0),
                "why": r.get("feedback") or (r["error"] if failed else ""),
            }
        )
    return pd.DataFrame(table)


def held_out_rows(run_id: str, run: dict[str, Any], db: Any) -> None:
    """An expander with the best candidate's test rows (nothing when there are none)."""

    best = (run.get("comparison") or {}).get("best_candidate") or run.get("best_candidate")
    if not best:
        return
    rows = example_results(run_id, candidate=best, subset="test", db_path=db)
    if not rows:
        return
    label_fields = [
        f["name"]
        for f in (run.get("spec") or {}).get("pipeline", [{}])[-1].get("fields", [])
        if f.get("role") == "output"
    ]
    frame = test_rows_table(rows, label_fields)
    wrong = int((frame["score"] < 1).sum())
    tally = f"{wrong} not fully right" if wrong else "all right"
    constrained = sum(is_constraint_failure(r.get("error")) for r in rows)
    if constrained:
        tally += f", {constrained} constraint failed"
    off_list = sum(is_off_list(r.get("error")) for r in rows)
    if off_list:
        tally += f", {off_list} answered off the list of labels"
    with st.expander(f"The best prompt on each test row ({len(frame)} rows, {tally})"):
        st.dataframe(
            frame,
            hide_index=True,
            width="stretch",
            height=min(420, 38 + 35 * len(frame)),
            column_config={
                "score": st.column_config.ProgressColumn(
                    "Score", min_value=0, max_value=1, format="%.2f"
                ),
                "why": st.column_config.TextColumn("Why this score", width="large"),
            },
        )
