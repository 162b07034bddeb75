"""Pipeline page: the steps the model takes. Each step has instructions and fields (a
signature); a later step can read an earlier step's outputs. Live Python preview; try it."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import judging, lmtools, safe, state, ui
from dashboard.project import fields, specs
from dashboard.widgets.editor import committed_editor
from dashboard.widgets.pipeline.row_result import show_row_run
from dashboard.widgets.pipeline.start_demos import start_demos
from dashboard.widgets.pipeline.step_options import step_options
from dashboard.widgets.pipeline.step_trace import answer_view, show_step_trace

TYPE_LABELS = {
    "str": "text",
    "int": "whole number",
    "float": "number",
    "bool": "yes / no",
    "list[str]": "list of texts",
    "literal": "one of the choices",
}
TYPE_OF = {v: k for k, v in TYPE_LABELS.items()}
MODULE_LABELS = {  # plain words lead; the DSPy module names are in the menu's tooltip
    "Predict": "Answer directly",
    "ChainOfThought": "Think step by step first",
    "Retrieve": "Search a corpus for passages",
    "ReAct": "Use tools, step by step",
    "ProgramOfThought": "Write and run Python",
    "MultiChainComparison": "Think several times, then compare",
}
MODULE_HELP = "In DSPy's words: " + "; ".join(
    f"{label} = {'ReAct agent' if module == 'ReAct' else module}"
    for module, label in MODULE_LABELS.items()
)

ui.header(
    "Pipeline",
    "What the model is asked to do, step by step: instructions, what it reads "
    "(inputs) and what it must produce (outputs).",
)
if not ui.require_project():
    st.stop()
draft = state.draft()
pipeline = draft["pipeline"]


def fields_frame(step: dict) -> pd.DataFrame:
    rows = [
        {
            "name": f["name"],
            "role": f["role"],
            "type": TYPE_LABELS.get(f["type"], "text"),
            "choices": ", ".join(f.get("choices") or []),
            "description": f.get("description", ""),
        }
        for f in step["fields"]
    ]
    return pd.DataFrame(rows, columns=["name", "role", "type", "choices", "description"])


def commit_fields(step: dict, frame: pd.DataFrame) -> None:
    out = []
    for row in frame.fillna("").to_dict("records"):
        name = str(row.get("name") or "").strip()
        if not name and not str(row.get("description") or "").strip():
            continue  # an empty added row
        ftype = TYPE_OF.get(str(row.get("type") or "text"), "str")
        choices = [c.strip() for c in str(row.get("choices") or "").split(",") if c.strip()]
        out.append(
            {
                "name": name,
                "role": row.get("role") or "input",
                "type": ftype,
                "choices": choices if ftype == "literal" else [],
                "description": str(row.get("description") or ""),
            }
        )
    step["fields"] = out


if not pipeline:
    ui.empty_state(
        ":material/account_tree:",
        "No steps yet",
        "Map your data's columns on the **Data** page and a first step is suggested for "
        "you, or add an empty step and fill in its fields.",
        "data",
        "Map the data",
    )
    if st.button("Add an empty step", key="add_first_step"):
        fields.add_step(draft)
        state.bump()
        st.rerun()
    st.stop()

with st.container():
    for i, step in enumerate(pipeline):
        with st.container(border=True):
            title = f"Step {i + 1}" + (
                " (final answer)" if i == len(pipeline) - 1 and len(pipeline) > 1 else ""
            )
            st.markdown(f"#### {title}")
            a, b = st.columns([2, 3])
            step["name"] = a.text_input(
                "Step name",
                value=step["name"],
                key=f"step_name_{i}_{state.rev()}",
                help="Letters, digits and underscores, e.g. classify",
            ).strip()
            step["module"] = b.selectbox(
                "How the model answers",
                list(MODULE_LABELS),
                format_func=MODULE_LABELS.get,
                index=list(MODULE_LABELS).index(step.get("module", "Predict")),
                help=MODULE_HELP,
                key=f"step_module_{i}_{state.rev()}",
            )
            step_options(step, i)
            if step["module"] != "Retrieve":  # a search has no prompt
                step["instructions"] = st.text_area(
                    "Instructions",
                    value=step.get("instructions", ""),
                    height=90,
                    key=f"step_instr_{i}_{state.rev()}",
                    placeholder="e.g. Read the customer's ticket and decide which team "
                    "should handle it.",
                )
                about = str(draft.get("description") or "").strip()
                if about and not step["instructions"].strip() and st.button(
                    "Start from the project description",
                    key=f"use_description_{i}",
                    icon=":material/subdirectory_arrow_right:",
                    help=f"Copies it into the instructions: “{safe.md(about[:200])}”. The "
                    "optimizer starts from your instructions and tries to improve them.",
                ):
                    step["instructions"] = about
                    state.bump()
                    st.rerun()
                start_demos(step, i)
            st.markdown("**Fields** — inputs the step reads, outputs it writes")
            committed_editor(
                fields_frame(step),
                f"fields_{i}_{state.rev()}",
                lambda f, s=step: commit_fields(s, f),
                num_rows="dynamic",
                hide_index=True,
                width="stretch",
                column_config={
                    "name": st.column_config.TextColumn("Name", required=True),
                    "role": st.column_config.SelectboxColumn(
                        "Role", options=["input", "output"], required=True, default="input"
                    ),
                    "type": st.column_config.SelectboxColumn(
                        "Type", options=list(TYPE_LABELS.values()), required=True, default="text"
                    ),
                    "choices": st.column_config.TextColumn(
                        "Choices",
                        width="medium",
                        help="For 'one of the choices': comma-separated, e.g. billing, technical",
                    ),
                    "description": st.column_config.TextColumn("Description", width="medium"),
                },
            )
            if len(pipeline) > 1 and st.button(
                "Remove this step", key=f"remove_step_{i}", icon=":material/delete:"
            ):
                fields.remove_step(draft, i)
                state.bump()
                st.rerun()
    if st.button(
        "Add a step that reads this step's outputs", key="add_step", icon=":material/add:"
    ):
        fields.add_step(draft)
        state.bump()
        st.rerun()
    if len(pipeline) > 1:
        st.caption(
            "A step's input named like an earlier step's output is filled from it. The last "
            "step's outputs are the final answers, compared with your expected outputs."
        )

check = specs.build_spec()
pipeline_problems = check.about("step", "pipeline", "data mapping", "project")
no_label = state.df() is not None and "output" not in state.roles().values()
if no_label:  # a data problem, fixed on the Data page: not the pipeline's
    pipeline_problems = [p for p in pipeline_problems if not specs.about_labels(p)]
    with st.container(border=True):
        st.warning(
            "**Your data has no expected-output column yet.** Each row needs the right answer "
            "so the model's answers can be scored. Choose that column on the Data page (or add "
            "one to your spreadsheet).",
            icon=":material/table_view:",
        )
        ui.go_button("data", "Fix it on the Data page", key="pipeline_to_data")
rest = [p for p in check.problems if not (no_label and specs.about_labels(p))]
shown = pipeline_problems or ([] if check.spec else rest)
ui.problems(shown, "The pipeline is not valid yet")

try_col, code_col = st.columns(2, gap="large")
with code_col:
    st.subheader("Python code")
    st.caption(
        "The same pipeline in Python, updated as you edit. It runs with `import engine` "
        "or with DSPy (`import dspy`)."
    )
    if check.spec is not None:
        from engine.runs import generate_python

        st.code(generate_python(check.spec), language="python", wrap_lines=True)
    else:
        st.info("The code appears when the pipeline is valid.", icon=":material/code:")

with try_col:
    st.subheader("Try it")
    st.caption(
        "Runs the pipeline as it is now (before any tuning) on one random example from your data."
    )
    can_try = check.spec is not None and state.df() is not None and not pipeline_problems
    if st.button(
        "Try on a random row",
        key="try_row",
        type="primary",
        disabled=not can_try,
        icon=":material/play_arrow:",
    ):
        with (
            st.spinner(lmtools.asking_text(check.spec.models.task.model)),
            ui.friendly_errors("Trying the pipeline"),
        ):
            rows = lmtools.random_rows(check.spec, 1)
            st.session_state["try_result"] = lmtools.run_rows(check.spec, rows)[0]
    if not can_try and check.spec is not None and state.df() is None:
        st.caption("Add data on the Data page to try the pipeline.")
    if result := st.session_state.get("try_result"):
        scored = judging.quick_score(check.spec, result)
        show_row_run(
            answer_view(check.spec, result),
            *((scored.score, scored.feedback) if scored else (None, None)),
        )
        show_step_trace(check.spec, result)

ui.next_step(
    "metric",
    "Next: choose the metric",
    ready=check.spec is not None and not pipeline_problems,
    why="Fix the problems above to continue.",
)
