"""Runs page: every run, newest first; open one, or overlay several on one chart."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import home, safe, ui
from dashboard.run_data import runinfo
from engine.runs import verdict

ui.header("Runs", "Every optimization run, newest first. Select a row to open it.")
runs = runinfo.all_runs(limit=500)
if not runs:
    ui.empty_state(
        ":material/history:",
        "No runs yet",
        "Runs you start on the **Optimize** page are listed here, with their scores and costs.",
        "optimize",
        "Start a run",
    )
    st.stop()

for r in runs:  # a run whose worker died is shown as failed, not as running forever
    if r["status"] in runinfo.ACTIVE:
        r.update(runinfo.get(r["id"]) or {})

rows = []
for r in runs:
    usage = r.get("usage") or {}
    label = runinfo.STATUS_CHIP.get(r["status"], (r["status"],))[0]
    rows.append(
        {
            "Name": r["name"],
            "Optimizer": r.get("optimizer") or "",
            "Model": "",
            "Baseline → best": f"{ui.fmt_score(r.get('baseline_score'))} → "
            f"{ui.fmt_score(r.get('best_score'))}",
            "Test": f"{ui.fmt_score(r.get('test_baseline'))} → {ui.fmt_score(r.get('test_best'))}"
            if r.get("test_best") is not None
            else "—",
            "On new rows": verdict(r["comparison"]).words
            if (r.get("comparison") or {}).get("ci_low") is not None
            else "not checked",
            "LM calls": int(usage.get("calls") or 0),
            "Cost": ui.fmt_cost(usage.get("cost") or 0, bool(usage.get("priced", True))),
            "Status": label,
            "Date": dt.datetime.fromtimestamp(r.get("created_at") or 0),
            "id": r["id"],
        }
    )
models = {}
for r in runs:
    full = runinfo.get(r["id"]) if len(runs) <= 100 else None
    models[r["id"]] = (
        ((full or {}).get("spec") or {}).get("models", {}).get("task", {}).get("model", "")
    )
for row in rows:
    row["Model"] = models.get(row["id"], "")
frame = pd.DataFrame(rows)
event = st.dataframe(
    frame,
    hide_index=True,
    width="stretch",
    on_select="rerun",
    selection_mode="single-row",
    key="runs_table",
    column_order=[c for c in frame.columns if c != "id"],
    column_config={
        "Date": st.column_config.DatetimeColumn("Date", format="D MMM YYYY, HH:mm"),
        "id": st.column_config.TextColumn("Run id", width="small"),
    },
)
selected = event.selection.rows if event and event.selection else []
if selected:
    run_id = frame.iloc[selected[0]]["id"]
    st.session_state["last_run"] = run_id
    a, b, c, _ = st.columns([1, 1, 1, 2])
    with a:
        ui.go_button("run", "Open run", key="runs_open", primary=True, query={"run": run_id})
    with b:
        ui.go_button("compare", "Compare", key="runs_compare", query={"run": run_id})
    with c:
        ui.go_button("export", "Export", key="runs_export", query={"run": run_id})
else:
    st.caption("Select a row (click the box at its left) to open, compare or export that run.")

st.subheader("Overlay runs")
names = {r["id"]: runinfo.run_label(r) for r in runs}
chosen = st.multiselect(
    "Runs to overlay (best validation score so far, by trial)",
    list(names),
    default=list(names)[: min(3, len(names))],
    format_func=names.get,
    key="runs_overlay",
)
if chosen:
    from engine.runs import trials

    fig = go.Figure()
    for rid in chosen:
        best, xs, ys = None, [], []
        for t in trials(rid, subset="val", db_path=home.db_path()):
            best = t["score"] if best is None else max(best, t["score"] or 0)
            xs.append(t["number"])
            ys.append(100 * best)
        fig.add_trace(
            go.Scatter(  # Plotly reads tags in a trace's name: the run's name is text
                x=xs, y=ys, mode="lines+markers", line={"shape": "hv"}, name=safe.html(names[rid])
            )
        )
    fig.update_layout(
        height=320,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        plot_bgcolor="white",
        xaxis_title="scoring, in the order the run made them",
        yaxis_title="best score so far (%)",
        legend={"orientation": "h", "y": 1.12, "x": 0},
    )
    fig.update_yaxes(range=[-3, 103], gridcolor="#eef2f7")
    fig.update_xaxes(rangemode="tozero", nticks=12, gridcolor="#eef2f7")
    fig.update_layout(showlegend=True)
    st.plotly_chart(fig, width="stretch", config={"displayModeBar": False})
