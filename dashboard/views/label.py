"""Label a spreadsheet: run a tuned program on every row of a CSV and download the result, with
each output, a confidence for a choice, and the reason for any row that failed."""

from __future__ import annotations

import streamlit as st

from dashboard import home, safe, ui
from dashboard.run_data import compare as cd
from dashboard.run_data import runinfo
from dashboard.run_data import versions as vs
from dashboard.widgets.label import corrections

ui.header(
    "Label a spreadsheet",
    "Use a tuned prompt without code: upload a CSV, get it back with the model's answer on "
    "every row.",
)

from engine.runs import (  # noqa: E402
    CsvProblem,
    candidates,
    estimate_calls,
    match_inputs,
    max_bytes,
    predict_table,
    read_input_csv,
    spec_from_dict,
    trials,
)

db = home.db_path()
runs = [
    r for r in runinfo.all_runs(limit=200) if r.get("best_candidate") or r["status"] == "finished"
]
if not runs:
    ui.empty_state(
        ":material/table_view:",
        "No tuned program yet",
        "Finish a run first; its best prompt can then label your spreadsheets here.",
        "optimize",
        "Go to Optimize",
    )
    st.stop()

ids = [r["id"] for r in runs]
chosen = vs.default_program(runs)
versions = [v for v in vs.versions_of(vs.project_of(runs)) if not v.run_gone and v.run_id in ids]
asked = st.query_params.get("run") if st.query_params.get("run") in ids else None
if chosen.version is not None and asked == chosen.version.run_id:
    asked = None  # the run of the version in use: label with that version
OTHER = 0  # the version menu's "another run or prompt"
numbers = [v.number for v in versions] + [OTHER]
by_number = {v.number: v for v in versions}
number = OTHER
if versions:
    in_use = chosen.version.number if chosen.version and not asked else OTHER
    number = st.selectbox(
        "Label with", numbers, index=numbers.index(in_use), key="label_version",
        format_func=lambda n: by_number[n].label() if n else "Another run or prompt…",
    )  # fmt: skip
    if number:
        picked = by_number[number]
        st.caption(
            f"Labelling with **v{number}**{', the version in use' if picked.in_use else ''}: "
            f"{safe.md(picked.origin)} ({safe.md(picked.optimizer)}, {picked.score_words()}). "
            "Versions are listed and put in use on the Prompt versions page."
        )
if chosen.note and not asked:
    st.caption(safe.md(chosen.note))  # it names the project
if number:
    run_id, candidate = by_number[number].run_id, by_number[number].program_candidate
    run = runinfo.get(run_id) or {}
else:
    left, right = st.columns(2)
    run_id = left.selectbox(
        "Tuned program from run", ids, index=ids.index(asked or chosen.run_id),
        format_func={r["id"]: runinfo.run_label(r) for r in runs}.get, key="label_run",
    )  # fmt: skip
    run = runinfo.get(run_id) or {}
    cands, trial_rows = candidates(run_id, db_path=db), trials(run_id, db_path=db)
    baseline = runinfo.baseline_hash(run, cands, trial_rows)
    labels = cd.candidate_labels(run, cands, trial_rows, baseline)
    options = [None, *[h for h in labels if h != run.get("best_candidate")]]
    candidate = right.selectbox(
        "Prompt", options, key=f"label_cand_{run_id}",
        format_func=lambda h: "The run's best" if h is None else labels[h],
    )  # fmt: skip
spec = spec_from_dict(run["spec"], run.get("base_dir"))
st.caption(
    f"The program reads **{safe.md(', '.join(spec.input_fields))}** and writes "
    f"**{safe.md(', '.join(f.name for step in spec.pipeline for f in step.outputs))}**. "
    "Your CSV needs a "
    "column named like each input (other columns are kept as they are)."
)

upload = st.file_uploader(
    "CSV to label", key="label_upload",
    help=f"Up to {max_bytes() / 1024 / 1024:.3g} MB; the first row names the columns.",
)  # fmt: skip
if upload is None:
    st.stop()
try:
    header, rows = read_input_csv(upload.getvalue(), upload.name)
    columns = match_inputs(spec, header)
except CsvProblem as exc:
    st.error(safe.md(exc), icon=":material/error:")  # it quotes the file
    st.stop()

per_row, total = estimate_calls(run_id, len(rows), db, candidate)
fed = ", ".join(f"column '{col}' → input {name}" for name, col in columns.items())
fed = safe.md(fed)  # the file's own column names
st.markdown(
    f"**{len(rows):,} rows × {per_row} LM call{'s' if per_row != 1 else ''} per row = "
    f"~{total:,} LM calls** (answers already seen come from the cache, free). {fed}."
)
budget = st.number_input(
    "Most LM calls to spend", min_value=1, value=max(1, total), step=10, key="label_budget",
    help="Rows the budget no longer covers are kept in the file, marked 'not run'.",
)  # fmt: skip
key = (run_id, candidate, upload.name, upload.size)
if st.button("Label every row", type="primary", icon=":material/play_arrow:", key="label_go"):
    bar = st.progress(0.0, text="Starting… (the embedded model may take a moment to load)")

    def progress(done: int, total_rows: int) -> None:
        bar.progress(done / total_rows, text=f"Row {done:,} of {total_rows:,}")

    with ui.friendly_errors("Labelling"):
        st.session_state["label_result"] = (key, predict_table(
            run_id, header, rows, db_path=db, candidate=candidate, max_calls=int(budget),
            progress=progress,
        ))  # fmt: skip

done = st.session_state.get("label_result")
if not done or done[0] != key:
    st.stop()
result = done[1]
ok = len(result.rows) - result.failed
st.success(
    f"Labelled {ok:,} of {len(result.rows):,} rows with {result.calls:,} LM calls."
    + (f" {result.failed:,} row(s) have a reason in the 'error' column." if result.failed else ""),
    icon=":material/check_circle:",
)
if result.stopped:
    st.warning(f"Stopped early: {safe.md(result.stopped)}.", icon=":material/warning:")
name = upload.name.rsplit(".", 1)[0] + "_labelled.csv"
st.download_button(
    "Download the labelled CSV", result.to_csv().encode("utf-8"), file_name=name,
    mime="text/csv", key="label_download", on_click="ignore", icon=":material/download:",
    type="primary",
)  # fmt: skip
corrections.result_grid(result, spec, run, key)
