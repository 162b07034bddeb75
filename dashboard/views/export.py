"""Export page: the result first, then a one-page summary for stakeholders (HTML), the tuned
program as JSON (loads in the engine and in DSPy), a standalone .py, the final prompt as text,
the spec as YAML and the per-example results as CSV."""

from __future__ import annotations

import re

import streamlit as st

from dashboard import home, safe, ui
from dashboard.run_data import runinfo
from dashboard.run_data import versions as vs
from dashboard.run_data.compare import export_names
from dashboard.widgets.kpi import result_headline
from dashboard.widgets.model_download import model_downloads, text_download
from dashboard.widgets.try_input import try_input_box

ui.header(
    "Export",
    "Take the tuned program with you: use it from Python, read its prompt, or share the results.",
)
runs = runinfo.all_runs(limit=200)
chosen = vs.default_program(runs) if runs else None
with st.columns([2, 3])[0]:
    run_id = runinfo.pick_run("export_run", default=chosen.run_id if chosen else None)
if run_id is None:
    ui.empty_state(
        ":material/inventory_2:",
        "Nothing to export yet",
        "Finish a run first; its best program can then be downloaded here.",
        "optimize",
        "Go to Optimize",
    )
    st.stop()
run = runinfo.get(run_id)
if not run.get("program") and not run.get("best_candidate"):
    msg = (
        "The run is still going; the export is ready when it ends."
        if run["status"] in runinfo.ACTIVE
        else "This run ended before it produced a program."
    )
    ui.empty_state(":material/hourglass_top:", "No program yet", msg, "run", "Watch the run")
    st.stop()

from engine.optimizers import registry  # noqa: E402
from engine.runs import export_run, program_state, summary_html  # noqa: E402

db = home.db_path()
names = export_names(run_id, run, db)
version = chosen.version if chosen and chosen.version and chosen.version.run_id == run_id else None
candidate = version.program_candidate if version else None  # None: the run's best
if version is not None:
    st.caption(
        f"Exporting **v{version.number}**, the prompt in use of “{safe.md(version.project)}” "
        f"({safe.md(version.origin)}, {version.score_words()})."
    )
elif chosen and chosen.note and run_id == chosen.run_id:
    st.caption(safe.md(chosen.note))
slug = re.sub(r"[^a-z0-9]+", "_", run["name"].lower()).strip("_") or "program"
if run["status"] in runinfo.ACTIVE:
    st.info(
        "This run is still going: the downloads below hold the best program so far.",
        icon=":material/info:",
    )
else:
    if run["status"] != "failed":
        result_headline(runinfo.outcome(run_id))  # what this export does on new rows, first
    st.caption(
        f"Run {safe.md(run_id)} · {safe.md(run.get('optimizer'))} · best validation score "
        f"{ui.fmt_score(run.get('best_score'))}"
    )

# the chosen instruction of each step, in full (it is what an instruction optimizer searched for)
with ui.friendly_errors("Reading the tuned program"):
    steps = (run.get("spec") or {}).get("pipeline") or []
    own = {step.get("name"): step.get("instructions") for step in steps}
    state = program_state(run_id, db, candidate)
    hook = registry.export_hook(state)  # a program no fixed prompt holds, in its optimizer's words
    if hook is not None:
        st.info(hook.note(state), icon=":material/info:")
    for path, part in state.items():
        if not isinstance(part, dict) or "signature" not in part:
            continue  # not a predictor (KNN settings, a Retrieve's k)
        text = ((part or {}).get("signature") or {}).get("instructions") or "(no instructions)"
        demos = len((part or {}).get("demos") or [])
        same = " — your own, unchanged" if own.get(path) == text else ""
        st.markdown(f"**Chosen instruction** · step {safe.md(path)}{same} · {demos} demo(s)")
        safe.text_box(text, style="margin-bottom:0.6rem")  # the model wrote it: text only

try_input_box(run_id, candidate, key="export_try",
              label=f"v{version.number}, the prompt in use" if version else "")  # fmt: skip
ui.go_button("label", "Label a spreadsheet with it", key="export_to_label", query={"run": run_id})

ITEMS = [
    (
        "summary",
        "Summary for stakeholders (HTML)",
        f"{slug}_summary.html",
        "text/html",
        "html",
        "One page to share: the task, the result on rows the optimizer never saw with its "
        "verdict, the cost, and a few rows it fixed and still gets wrong. Opens in any browser "
        "and prints well.",
    ),
    (
        "json",
        "Program (JSON)",
        f"{slug}.json",
        "application/json",
        "json",
        "The tuned instructions and demos. Load it with `program.load(path)` in Tunesmith, "
        "or in DSPy "
        "into a program of the same shape.",
    ),
    (
        "py",
        "Standalone Python",
        f"{slug}.py",
        "text/x-python",
        "python",
        "A script that rebuilds the pipeline with the tuned prompt inside. Run "
        f"`python {slug}.py \"your text\"` for one answer, or `python {slug}.py --csv in.csv "
        "-o out.csv` to label a spreadsheet; with nothing after the name it says how. Runs with "
        "`import engine` or DSPy.",
    ),
    (
        "prompt",
        "Final prompt (text)",
        f"{slug}_prompt.txt",
        "text/plain",
        None,
        "Exactly what the model receives, with {placeholders} for the inputs. "
        "Paste it into any tool."
        + (
            " Not in it: the calibrated choices (small shifts of how the embedded model picks "
            "a label), which a pasted prompt cannot carry, so elsewhere it may score lower than "
            "this run measured."
            if any(isinstance(p, dict) and p.get("choice_offsets") for p in state.values())
            else ""
        ),
    ),
    (
        "spec",
        "Project spec (YAML)",
        f"{slug}.yaml",
        "application/x-yaml",
        "yaml",
        "The whole project: data mapping, pipeline, metric, optimizer and budget. No keys.",
    ),
    (
        "csv",
        "Per-example results (CSV)",
        f"{slug}_results.csv",
        "text/csv",
        None,
        "Every scored row of every candidate: inputs, answers, score. Candidates are named "
        "as on the Run and Compare pages.",
    ),
]

model_downloads(run_id, db, slug)  # a fine-tuned run's model file, first


def export_text(fmt: str) -> str:
    if fmt == "summary":
        return summary_html(run_id, db_path=db)
    if fmt == "csv":  # every candidate's rows, named as on the pages
        return export_run(run_id, fmt, db_path=db, names=names)
    return export_run(run_id, fmt, db_path=db, candidate=candidate)


for fmt, title, filename, mime, lang, blurb in ITEMS:
    text_download(
        title, blurb, lambda fmt=fmt: export_text(fmt), filename, mime, f"dl_{fmt}", lang
    )
