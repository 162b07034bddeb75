"""Run page: the rows of the user's CSV that the run left out or could not use, each by its row
number as a spreadsheet shows it (the header is row 1) and why: an empty cell, an answer the
program could not read, or a row the run stopped before scoring."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from dashboard.run_data.compare import OFF_LIST_WORDS, failure_text
from engine import example_id
from engine.runs import example_results, load_data, spec_from_dict

PART_NAMES = {"train": "training", "val": "validation", "test": "held-out"}


def _file_names(spec: dict[str, Any]) -> dict[str, str]:
    data = spec.get("data") or {}
    return {
        "data.csv": Path(str(data.get("csv") or "data.csv")).name,
        "data.test_csv": Path(str(data.get("test_csv") or "test.csv")).name,
    }


def skipped_rows(
    split: Any, results: dict[str, list[dict[str, Any]]], spec: dict[str, Any]
) -> list[dict[str, Any]]:
    """Table rows (row, file, part, why) for the rows left out or not answered. `split`: the
    run's DataSplit; `results`: the chosen prompt's stored results per subset ("val", "test")."""

    files = _file_names(spec)
    out = [
        {"row": s.row, "file": files.get(s.file, s.file), "part": "left out", "why": s.why}
        for s in split.skipped
    ]
    row_of = split.row_of
    for subset, examples in (("val", split.val), ("test", split.test)):
        rows = results.get(subset) or []
        if not rows:
            continue
        scored = {r["example_id"] for r in rows}
        for r in rows:
            error = r.get("error")
            if isinstance(error, str) and error.strip() and r["example_id"] in row_of:
                file, number = row_of[r["example_id"]]
                why = failure_text(error, True)  # a failed Assert: its message
                told = " ".join(error.split())[:120]
                if why == "no valid answer":
                    why = f"the model's answer could not be read ({told})"
                elif why == OFF_LIST_WORDS:
                    why = f"the model answered off the list of labels ({told})"
                out.append({"row": number, "file": files.get(file, file),
                            "part": PART_NAMES[subset], "why": why})  # fmt: skip
        for example in examples:
            ident = example_id(example)
            if ident not in scored and ident in row_of:
                file, number = row_of[ident]
                out.append({
                    "row": number, "file": files.get(file, file), "part": PART_NAMES[subset],
                    "why": "not scored: the run stopped (time or budget) before this row",
                })  # fmt: skip
    return sorted(out, key=lambda r: (r["file"], r["row"]))


def skipped_rows_view(run_id: str, run: dict[str, Any], db: Any) -> None:
    """An expander naming the rows left out or not answered (nothing when there are none, or
    when the run's data file is gone)."""

    try:
        split = load_data(spec_from_dict(run["spec"], run.get("base_dir")))
    except Exception:  # noqa: BLE001  (the data file moved or changed: nothing to name)
        return
    best = (run.get("comparison") or {}).get("best_candidate") or run.get("best_candidate")
    results = {}
    if best:
        results["test"] = example_results(run_id, candidate=best, subset="test", db_path=db)
    if run.get("best_candidate"):
        results["val"] = example_results(
            run_id, candidate=run["best_candidate"], subset="val", db_path=db
        )
    rows = skipped_rows(split, results, run.get("spec") or {})
    if not rows:
        return
    with st.expander(f"Rows left out or not answered ({len(rows)})", icon=":material/rule:"):
        st.caption(
            "Row numbers as in your spreadsheet (the header is row 1). *Left out*: never used, "
            "fix the row and start a new run to include it. The others were used, but the chosen "
            "prompt got no usable answer for them or was not scored on them."
        )
        st.dataframe(
            rows, hide_index=True, width="stretch", key="skipped_rows",
            column_config={"row": st.column_config.NumberColumn(width="small"),
                           "why": st.column_config.TextColumn(width="large")},
        )  # fmt: skip
