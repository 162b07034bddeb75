"""Metric page: how an answer is scored against the expected output; test it on a few rows,
with each score's reason; calibrate an LLM judge against the user's own marks."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import judging, lmtools, safe, state, ui
from dashboard.project import specs
from dashboard.widgets.metric.calibration import calibration
from dashboard.widgets.metric.judge_settings import clear_judge_settings, judge_settings

KINDS = {
    "exact": (
        "Exact match",
        "The answer must equal the expected text exactly (spaces at the ends ignored). "
        "Best for labels and categories.",
    ),
    "normalized": (
        "Exact match, ignoring case and punctuation",
        "“The Billing!” counts as “billing”. Good default for short answers.",
    ),
    "contains": (
        "Contains the expected text",
        "Passes when the expected text appears anywhere in the answer.",
    ),
    "f1": (
        "Word overlap (F1)",
        "Partial credit from 0 to 1 for the words the answer shares with the "
        "expected text. For longer free-text answers.",
    ),
    "numeric": (
        "Number within a tolerance",
        "Reads the first number in the answer and compares it with "
        "the expected number, allowing a small difference.",
    ),
    "regex": (
        "Pattern (regular expression)",
        "Passes when the answer matches a pattern; write {expected} "
        "in the pattern to insert the expected value.",
    ),
    "judge": (
        "LLM judge",
        "A model grades each answer against criteria you write, and says why. For free-text "
        "answers with more than one right form. One extra model call per scored row.",
    ),
    "semantic_f1": (
        "Meaning overlap (semantic F1)",
        "A model judges how much of the expected answer's meaning the answer covers, and how "
        "much of the answer the expected one supports. For long answers.",
    ),
}
TEST_ROWS = (5, 20)  # rows the metric test runs on: at least 5 (calibration), at most 20

ui.header(
    "Metric",
    "How each answer is scored. The optimizer keeps the prompt with the best average score.",
)
if not ui.require_data():
    st.stop()
draft = state.draft()
metric = draft["metric"]
check = specs.build_spec(check_data=False)
labels = (
    [f["name"] for f in draft["pipeline"][-1]["fields"] if f["role"] == "output"]
    if draft["pipeline"]
    else []
)

left, right = st.columns([3, 2], gap="large")
with left:
    kind = st.radio(
        "Scoring rule",
        list(KINDS),
        index=list(KINDS).index(metric.get("kind", "exact")),
        format_func=lambda k: KINDS[k][0],
        key=f"metric_kind_{state.rev()}",
        captions=[KINDS[k][1] for k in KINDS],
    )
    if kind != metric.get("kind"):
        metric["params"] = {}
    metric["kind"] = kind
    params = metric.setdefault("params", {})
    if kind == "judge":
        judge_settings(metric, draft)
    else:
        clear_judge_settings(metric)
    if kind == "semantic_f1":
        params["decompositional"] = st.toggle(
            "List the key ideas first, then judge (two model calls per row)",
            value=bool(params.get("decompositional", False)),
            key=f"metric_decomp_{state.rev()}",
        )
    if kind == "numeric":
        a, b = st.columns(2)
        params["abs_tol"] = a.number_input(
            "Allowed difference",
            min_value=0.0,
            step=0.1,
            format="%.4f",
            value=float(params.get("abs_tol", 0.0)),
            key=f"metric_abs_{state.rev()}",
        )
        params["rel_tol"] = (
            b.number_input(
                "Allowed difference in % of the expected value",
                min_value=0.0,
                step=1.0,
                value=float(params.get("rel_tol", 0.0)) * 100,
                key=f"metric_rel_{state.rev()}",
            )
            / 100
        )
    elif kind == "regex":
        params["pattern"] = st.text_input(
            "Pattern",
            value=params.get("pattern", r"\b{expected}\b"),
            key=f"metric_pattern_{state.rev()}",
            help=r"Python regular expression, e.g. ^\s*{expected}\s*$",
        )
        params["ignore_case"] = st.toggle(
            "Ignore upper/lower case",
            value=bool(params.get("ignore_case", True)),
            key=f"metric_case_{state.rev()}",
        )
with right:
    if len(labels) > 1:
        options = ["(all of them, averaged)"] + labels
        current = metric.get("field") if metric.get("field") in labels else options[0]
        chosen = st.selectbox(
            "Which output is scored",
            options,
            index=options.index(current),
            key=f"metric_field_{state.rev()}",
        )
        metric["field"] = None if chosen == options[0] else chosen
    elif labels:
        metric["field"] = labels[0]
        st.markdown(f"Scored output: **{safe.md(labels[0])}**")
    with st.container(border=True):
        st.markdown("**How scores are used**")
        st.caption(
            "Every example gets a score from 0 (wrong) to 1 (right). A prompt's score is the "
            "average over the validation rows. An answer the model fails to produce scores 0."
        )
        st.caption(
            "Each score comes with a reason (e.g. “expected 'billing', got 'shipping'”). "
            "You see it below, on the Compare page, and in the exported results."
        )

check = specs.build_spec()
metric_problems = check.about("metric")
ui.problems(metric_problems, "The metric is not valid yet")

st.subheader("Test the metric on a few rows")
st.caption(
    "Runs the untuned pipeline on a few rows and scores the answers, each with its reason. "
    "Change the rule above and the scores update without running the pipeline again."
)
ready = check.ok
if not ready and not metric_problems:
    st.caption(
        "Finish the Data and Pipeline pages first: "
        + (safe.md(check.problems[0]) if check.problems else "")
    )
count_col, button_col, _ = st.columns([1.2, 1.2, 3], vertical_alignment="bottom")
n_rows = count_col.number_input(
    "Rows",
    min_value=TEST_ROWS[0],
    max_value=TEST_ROWS[1],
    value=TEST_ROWS[0],
    step=1,
    key="metric_test_rows",
    help="For an LLM judge, test 10 to 20 rows: you then mark them to calibrate the judge.",
)
if button_col.button(
    f"Test on {n_rows} rows",
    key="metric_test_run",
    type="primary",
    disabled=not ready,
    icon=":material/play_arrow:",
):
    with (
        st.spinner(f"Running the pipeline on {n_rows} rows…"),
        ui.friendly_errors("Testing the metric"),
    ):
        st.session_state["metric_test"] = lmtools.run_rows(
            check.spec, lmtools.random_rows(check.spec, int(n_rows), seed=0)
        )
        st.session_state["metric_test_batch"] = st.session_state.get("metric_test_batch", 0) + 1

runs = st.session_state.get("metric_test")
if runs and check.spec is not None and not metric_problems:
    judged = check.spec.metric.kind in judging.LLM_KINDS
    if judging.needs_judge(check.spec, runs):
        judge = safe.md(judging.judge_model_name(check.spec))
        with st.spinner(f"{judge} is grading {len(runs)} answers…"):
            scored = judging.score_rows(check.spec, runs)
    else:
        scored = judging.score_rows(check.spec, runs)
    table = []
    for r, s in zip(runs, scored):
        row = {f"in: {k}": str(v)[:80] for k, v in r.inputs.items()}
        row.update({f"expected: {k}": str(v) for k, v in r.expected.items()})
        row.update({f"answer: {k}": str(v) for k, v in r.outputs.items() if k in r.expected})
        if r.error:
            row["answer"] = "⚠ " + r.error
        row["score"] = s.score
        row["why"] = s.feedback or ""
        table.append(row)
    frame = pd.DataFrame(table)
    mean = frame["score"].mean()
    a, b = st.columns([1, 3], vertical_alignment="center")
    a.metric("Average score", ui.fmt_score(mean), border=True)
    b.caption(
        f"{len(frame)} rows tell little: one answer more or less right moves this average by "
        f"{100 / len(frame):.0f} points. This checks that the metric scores answers the way "
        "you mean; the run measures your prompt on its validation and held-out rows."
    )
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        column_config={
            "score": st.column_config.ProgressColumn(
                "Score", min_value=0, max_value=1, format="%.2f"
            ),
            "why": st.column_config.TextColumn(
                "Judge's reasoning" if judged else "Why this score", width="large"
            ),
        },
    )
    if mean == 0 and not judged:
        st.info(
            "All the answers scored 0. That is common for a small model before tuning: the "
            "optimizer's job is to raise this. Check that the expected values look right.",
            icon=":material/info:",
        )
    if judged:
        calibration(runs, scored, st.session_state.get("metric_test_batch", 0))

ui.next_step("optimize", "Next: optimize", ready=check.ok, why="The project is not complete yet.")
