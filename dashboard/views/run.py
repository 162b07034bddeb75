"""Run page (?run=<id>): the held-out result first once it ended, live trial chart, KPI cards,
phase, recent log, cancel; failed runs say why. Everything is read from the run store, so it
survives refreshes, other tabs and restarts."""

from __future__ import annotations

import streamlit as st

from dashboard import home, launcher, safe, ui
from dashboard.glossary import explain, plain_text
from dashboard.project import labelling
from dashboard.run_data import runinfo
from dashboard.run_data.failures import failure_causes
from dashboard.widgets.kpi import fault_caption, result_headline, run_kpis
from dashboard.widgets.put_in_use import put_in_use
from dashboard.widgets.run.ensemble_block import ensemble_block
from dashboard.widgets.run.result_rows import held_out_rows
from dashboard.widgets.run.run_view import optimizer_views
from dashboard.widgets.run.skipped_rows import skipped_rows_view
from dashboard.widgets.run.trial_chart import chart_caption, trial_figure
from dashboard.widgets.try_input import try_input_box
from engine.runs import candidates, ended_words, fault_summary, shape_choice, trials, usage

# Seconds between redraws of a live run. Each redraw costs the server and the browser a burst of
# CPU, and the embedded model's two threads slow down beside such bursts (a neighbour at 0.3 of
# a core: +22% per call; bench/studies/thread_choice.py). Watching cost 0.14 of a core at 3 s
# redraws, 0.09 at 5 s and 0.07 at 10 s; 0.07 at 5 s once Streamlit's garbage collection after
# each script run was turned off (.streamlit/config.toml; bench/studies/live_view_cost.py).
# The forecast of a run started here counts it (engine.runs.estimate._forecast.WATCHED_PAGE_CORES).
LIVE_REFRESH_SECONDS = 5.0

ui.header(
    "Run", "Watch the optimizer work: every point is one candidate prompt scored on your rows."
)
with st.columns([2, 3])[0]:
    run_id = runinfo.pick_run()
if run_id is None:
    ui.empty_state(
        ":material/monitoring:",
        "No runs yet",
        "Start a run on the **Optimize** page; it appears here live.",
        "optimize",
        "Go to Optimize",
    )
    st.stop()
run = runinfo.get(run_id)
if run is None:
    st.error("This run does not exist (it may have been deleted).")
    st.stop()
active = run["status"] in runinfo.ACTIVE


# -- header: status, optimizer, cancel ---------------------------------------------------------
top, actions = st.columns([4, 1], vertical_alignment="center")
top.markdown(f"### {safe.md(run['name'])}")
model = (run.get("spec") or {}).get("models", {}).get("task", {}).get("model", "?")
top.caption(
    f"**{safe.md(run.get('optimizer') or 'Optimizer')}** — "
    f"{safe.md(plain_text(run.get('optimizer_reason') or ''))}  \n"
    f"Model {safe.md(model)} · "
    f"started {runinfo.ago(run.get('started_at') or run.get('created_at'))} · "
    f"run {safe.md(run_id)}"
)
if not active and run["status"] != "failed":  # the result leads: held-out verdict first
    result_headline(runinfo.outcome(run_id))
shape = shape_choice(run_id, db_path=home.db_path())  # chosen before the search, if tried
if shape:
    st.info(f"**Program shape.** {safe.md(shape)}")
with actions:
    if active and not run.get("cancel_requested"):
        if st.session_state.get("confirm_cancel") == run_id:
            st.warning("Stop this run? The best prompt so far is kept.")
            yes, no = st.columns(2)
            if yes.button("Stop run", key="cancel_yes", type="primary"):
                from engine.runs import request_cancel

                request_cancel(run_id, db_path=home.db_path())
                st.session_state.pop("confirm_cancel", None)
                st.rerun()
            if no.button("Keep going", key="cancel_no"):
                st.session_state.pop("confirm_cancel", None)
                st.rerun()
        elif st.button(
            "Cancel run", key="cancel_run", icon=":material/stop_circle:", width="stretch"
        ):
            st.session_state["confirm_cancel"] = run_id
            st.rerun()
    elif active:
        st.caption("Stopping after the candidate being scored…")
    live = st.toggle(
        "Live updates",
        value=True,
        key="live_updates",
        disabled=not active,
        help="Turn off to zoom into the chart without it refreshing.",
    )

if run["status"] == "failed":
    with st.container(border=True):
        st.error(
            f"**The run failed.** {safe.md(run.get('reason') or 'No reason was recorded.')}",
            icon=":material/error:",
        )
        fits = failure_causes(run.get("reason"))
        st.caption("Likely cause: " + " ".join(fits.causes))
        if fits.resumable and st.button(
            "Resume this run", key="resume_run", icon=":material/replay:"
        ):
            with ui.friendly_errors("Resuming the run"):
                from dashboard.lmtools import run_key_env

                keys = run_key_env((run.get("spec") or {}).get("models") or {})
                launcher.launch_worker(run_id, home.db_path(), keys or None)
                st.rerun()
        if run.get("traceback"):
            with st.expander("Technical details (for a developer)"):
                st.code(run["traceback"].strip().splitlines()[-1], language=None)
                if run.get("log_path"):
                    st.caption(f"Full worker log: {safe.md(run['log_path'])}")


@st.fragment(run_every=LIVE_REFRESH_SECONDS if active and live else None)
def live_view() -> None:

    current = runinfo.get(run_id) or run
    db = home.db_path()
    trial_rows = trials(run_id, db_path=db)
    cands = candidates(run_id, db_path=db)
    phase, lines = runinfo.timeline(run_id)
    if current["status"] in runinfo.ACTIVE:
        now = phase or "waiting for the worker to start"
    else:
        why = ended_words(current["status"], current.get("reason"))
        now = f"ended after {ui.fmt_duration(runinfo.elapsed(current))}" + (
            f" — {why}" if why else ""
        )
    # the phase and the reason carry provider error text: shown as text beside the chip
    st.markdown(f"{runinfo.chip(current['status'])} {safe.md(now)}", unsafe_allow_html=True)
    val = [t["score"] or 0 for t in trial_rows if t["subset"] == "val"]
    if val and current.get("baseline_score") is None:  # live: scores so far
        current = {**current, "baseline_score": val[0], "best_score": max(val)}
    run_kpis(current, usage(run_id, db_path=db), runinfo.elapsed(current))
    fault_caption(fault_summary(run_id, db_path=db))
    chart, log = st.columns([3, 2], gap="medium")
    with chart:
        if trial_rows:
            origins = {c["hash"]: c.get("origin", "") for c in cands}
            baseline = next(
                (t["score"] for t in trial_rows if t["subset"] == "val"),
                current.get("baseline_score"),
            )
            st.plotly_chart(
                trial_figure(trial_rows, baseline, origins),
                width="stretch",
                config={"displayModeBar": False},
                key="trial_chart",
            )
            words, more = chart_caption({t["subset"] for t in trial_rows})
            st.caption(words, help=more)
        else:
            with st.container(border=True, height=340):
                st.markdown("#### Waiting for the first score…")
                st.caption(
                    "The embedded model loads and scores the baseline prompt first. "
                    "Points appear here as each candidate is scored."
                )
    with log:
        st.caption(
            "Recent activity, newest first",
            help=f"**Validation rows**: {explain('validation rows')}  \n"
            f"**Training rows**: {explain('training rows')}",
        )
        st.code("\n".join(reversed(lines)) or "No events yet.", language=None, wrap_lines=True)
    optimizer_views(run_id, current, cands, trial_rows, db)
    if active and current["status"] not in runinfo.ACTIVE:
        st.rerun()  # the run just ended: redraw the whole page once, without polling


live_view()

if not active:
    held_out_rows(run_id, run, home.db_path())
    if words := labelling.hand_labelled_words(run):
        st.caption(":material/edit_note: " + words)
    skipped_rows_view(run_id, run, home.db_path())
    if run["status"] != "failed" or run.get("best_candidate"):
        a, b, _ = st.columns([1, 1, 3])
        with a:
            ui.go_button(
                "compare",
                "Compare prompts",
                key="run_to_compare",
                primary=True,
                query={"run": run_id},
            )
        with b:
            ui.go_button("export", "Export the program", key="run_to_export", query={"run": run_id})
        if run.get("best_candidate") or run.get("program"):
            put_in_use(run, None, "run_put_in_use", what="this run's best prompt")
        ensemble_block(run_id, run, home.db_path())
        try_input_box(run_id, key="run_try")
