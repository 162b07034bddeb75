"""Reading a run from the store for the pages: which run, baseline/best, phase, log, KPIs."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import streamlit as st

from dashboard import home, safe
from dashboard.glossary import plain_text
from engine.runs import events, list_runs, reconcile_run, run_outcome

ACTIVE = ("queued", "running")
STATUS_CHIP = {
    "queued": ("Starting", "ts-run"),
    "running": ("Running", "ts-run"),
    "finished": ("Finished", "ts-ok"),
    "stopped: budget": ("Finished early", "ts-ok"),
    "cancelled": ("Cancelled", "ts-warn"),
    "failed": ("Failed", "ts-bad"),
}


def db() -> Any:
    return home.db_path()


def get(run_id: str) -> dict[str, Any] | None:
    """The run, after marking it failed if its worker died (survives restarts and refreshes)."""

    return reconcile_run(run_id, db())


def outcome(run_id: str) -> Any:
    """The run's result in words (engine.runs.run_outcome): held-out verdict, what changed."""

    return run_outcome(run_id, db())


def all_runs(limit: int | None = None) -> list[dict[str, Any]]:

    return list_runs(limit=limit, db_path=db())


def status_label(status: str) -> str:
    return STATUS_CHIP.get(status, (status,))[0]


def chip(status: str) -> str:
    """A status badge: an inline span for a Markdown paragraph (its label, which may be an
    unknown status from the store, is shown as text)."""
    label, cls = STATUS_CHIP.get(status, (str(status), "ts-warn"))
    return f"<span class='ts-chip {cls}'>{safe.md(label)}</span>"


def run_label(run: dict[str, Any]) -> str:
    """'Support tickets · held-out 87.5% · GEPA · 28 Nov 05:40 · 3fa2c1' for run menus (the
    score before the optimizer's name, which can be long, so a narrow menu still shows it)."""
    when = dt.datetime.fromtimestamp(run.get("created_at") or 0).strftime("%d %b %H:%M")
    if run.get("test_best") is not None:
        score = f"held-out {100 * run['test_best']:.1f}%"
    elif run.get("best_score") is not None:
        score = f"validation {100 * run['best_score']:.1f}%"
    else:
        score = status_label(run.get("status") or "").lower()
    parts = (run["name"], score, run.get("optimizer") or "?", when, run["id"][-6:])
    return " · ".join(parts)


def pick_run(key: str = "run_pick", default: str | None = None) -> str | None:
    """The run id from the URL (?run=), else `default` (a page's own choice), else this
    session's last run, else the newest run, in a picker."""
    runs = all_runs(limit=200)
    ids = [r["id"] for r in runs]
    current = st.query_params.get("run") or default or st.session_state.get("last_run")
    if current not in ids:
        current = ids[0] if ids else None
    if not ids:
        return None
    labels = {r["id"]: run_label(r) for r in runs}
    index = ids.index(current)
    picked = st.session_state.get(key)
    if picked in labels and st.session_state.get(f"{key}_label") != labels[picked]:
        # The browser keeps showing a choice by the text it was sent; when that text changed
        # (a run that was "starting" has ended), the choice is sent again with its new text.
        st.session_state[key], index = picked, 0
    chosen = st.selectbox("Showing run", ids, index=index, format_func=labels.get, key=key)
    st.session_state[f"{key}_label"] = labels[chosen]
    if st.query_params.get("run") != chosen:
        st.query_params["run"] = chosen
    st.session_state["last_run"] = chosen
    return chosen


def baseline_hash(
    run: dict[str, Any], cands: list[dict[str, Any]], trials: list[dict[str, Any]]
) -> str | None:
    for c in cands:
        if str(c.get("origin", "")).startswith("baseline"):
            return c["hash"]
    if run.get("baseline_candidate"):
        return run["baseline_candidate"]
    return trials[0]["candidate"] if trials else None


def elapsed(run: dict[str, Any]) -> float | None:
    start = run.get("started_at")
    if not start:
        return None
    end = run.get("finished_at") if run["status"] not in ACTIVE else time.time()
    return (end or time.time()) - start


SUBSET_ROWS = {
    "val": "validation rows",
    "minibatch": "sampled rows",
    "test": "held-out rows",
    "train": "training rows",
}


def _phase(data: dict[str, Any], sep: str = ": ") -> str:
    """A phase event as the pages say it: 'Finding examples: the model answers ...'."""
    name = plain_text(str(data.get("name", ""))).capitalize()
    return f"{name}{sep}{plain_text(str(data.get('detail', '')))}"


def describe_event(event: dict[str, Any]) -> str | None:
    """One log line for an event (None for the ones not worth a line)."""
    d = event.get("data") or {}
    t = event["type"]
    if t == "phase":
        return f"▶ {_phase(d)}"
    if t == "log":
        mark = "⚠ " if d.get("level") == "warning" else "· "
        return mark + plain_text(str(d.get("message", "")))
    if t == "trial":
        score = 100 * (d.get("score") or 0)
        rows = SUBSET_ROWS.get(str(d.get("subset")), f"{d.get('subset')} rows")
        return f"· Scoring {d.get('number')}: {score:.0f}% on {d.get('n')} {rows}"
    if t == "best_changed":
        return f"★ New best: {100 * (d.get('score') or 0):.0f}%"
    if t == "run_finished":
        return f"■ Search ended ({d.get('status')})"
    if t == "run_failed":
        return f"✖ Failed: {d.get('error')}"
    if t == "run_started":
        sizes = f"{d.get('trainset_size')} train / {d.get('valset_size')} validation rows"
        return f"▶ Started {d.get('optimizer')} on {sizes}"
    return None


def timeline(run_id: str, limit: int = 10) -> tuple[str | None, list[str]]:
    """(current phase, recent log lines newest last)."""

    evs = events(
        run_id,
        db_path=db(),
        types=[
            "run_started",
            "phase",
            "log",
            "trial",
            "best_changed",
            "run_finished",
            "run_failed",
        ],
    )
    phases = [e for e in evs if e["type"] == "phase"]
    phase = None
    if phases:
        phase = _phase(phases[-1]["data"], " — ")
    lines = [line for e in evs if (line := describe_event(e))]
    return phase, lines[-limit:]


def ago(ts: float | None) -> str:
    if not ts:
        return ""
    return dt.datetime.fromtimestamp(ts).strftime("%d %b %Y %H:%M")
