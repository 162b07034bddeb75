"""Data page: inputs that came without answers. Add an empty answer column, count the labelled
rows, have the model draft answers, review them in a grid (each confirmed or corrected row is a
label, saved at once), see which rows to label next and how many labels a run needs."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import safe, state, ui
from dashboard.project import drafts, labelling
from dashboard.widgets.editor import committed_editor
from engine.optimizers import registry
from engine.runs import choose_optimizer

ROW, DRAFT, SURE = "Row", "Model's draft", "How sure"
ANSWER, RIGHT = "Your answer", "Draft is right"
SHOWN = 100


def answer_form() -> None:
    """The form that gives inputs-only data an empty answer column."""
    st.info(
        "**No answers yet?** That is fine: say what the answer to each row is, and the model "
        "drafts answers you confirm or correct. Only the rows you label are used to tune and "
        "score.",
        icon=":material/edit_note:",
    )
    with st.form("answer_column"):
        name = st.text_input("Name of the answer column", value="answer", key="answer_name")
        kind = st.radio(
            "The answer is", ["A choice among labels", "Open text"], horizontal=True,
            key="answer_kind",
        )  # fmt: skip
        labels = st.text_input(
            "Labels, separated by commas (for a choice)", key="answer_labels",
            placeholder="billing, shipping, technical",
        )  # fmt: skip
        if st.form_submit_button("Add an empty answer column", type="primary"):
            chosen = labelling.parse_choices(labels) if kind == "A choice among labels" else []
            if kind == "A choice among labels" and not chosen:
                problem = "Type the labels the answer chooses among, separated by commas."
            else:
                problem = labelling.add_answer_column(name, chosen)
            if problem:
                st.session_state["answers_error"] = problem
            else:
                state.bump()
                st.session_state["answers_note"] = "Added an empty answer column; label rows below."
            st.rerun()


def gate_words(count: int) -> str:
    """How many labelled rows a run needs, for the chosen optimizer and the default choice."""
    chosen = state.draft()["optimizer"].get("name") or "auto"
    train = int(state.draft()["data"].get("train_size") or 0)
    enough = 3 if not state.draft()["data"].get("test_csv") else 2
    limits = [e.auto_pick.up_to for e in registry.entries() if e.auto_pick and e.auto_pick.up_to]
    search = (max(limits) + 1) * (2 if state.draft()["data"].get("test_csv") else 3)
    picked = choose_optimizer(train)[0] if chosen == "auto" else chosen
    start = (
        f"A run can start with {enough} labelled rows (one to learn from, one to choose by"
        + (", one held out to score)" if enough == 3 else ")")
        + ": LabeledFewShot, which copies labelled rows into the prompt as examples, starts "
        "with that. "
    )
    now = (
        f"With {count} labelled, the run you chose ({picked}) can start."
        if count >= enough
        else f"Label {enough - count} more to start a run."
    )
    more = (
        f" The default choice searches among several sets of examples from about {search} "
        "labelled rows; more labels make its score more trustworthy."
    )
    return start + now + more


def _on_edit(grid: pd.DataFrame, positions: list[int], inputs: list[str], proposed: list[str]):
    """The grid's edits -> labels: a typed answer, or the row's draft (`proposed`, "" when the
    model gave none) where *Draft is right* was ticked."""

    def commit(edited: pd.DataFrame) -> None:
        answers: dict[int, str] = {}
        for i, pos in enumerate(positions):
            before, after = grid.iloc[i], edited.iloc[i]
            if any(str(after[c]) != str(before[c]) for c in inputs if c in edited):
                st.session_state["answers_error"] = (
                    "The inputs cannot be changed in this table (fix them in the table of rows "
                    "below). Nothing was saved."
                )
                return
            typed = str(after[ANSWER] if pd.notna(after[ANSWER]) else "").strip()
            if typed:
                answers[pos] = typed
            elif bool(after[RIGHT]) and not bool(before[RIGHT]):
                if not proposed[i].strip():
                    st.session_state["answers_error"] = (
                        f"Row {pos + 2} has no draft to accept; type its answer. Nothing was saved."
                    )
                    return
                answers[pos] = proposed[i]
        if answers:
            problem = labelling.save_answers(answers)
            if problem:
                st.session_state["answers_error"] = problem
            else:
                st.session_state["answers_note"] = f"Saved {len(answers)} label(s)."

    return commit


def _draft_button(todo: list[int]) -> None:
    a, b = st.columns([1, 2], vertical_alignment="bottom")
    how_many = int(a.number_input(
        "Rows to draft", min_value=1, max_value=max(1, len(todo)), value=min(20, len(todo)),
        key="draft_rows", help="Each row costs about one LM call (answers already seen are free).",
    ))  # fmt: skip
    source = "the prompt in use" if labelling.prompt_in_use() else "the untuned prompt"
    if not b.button(f"Draft answers ({how_many} rows, ~{how_many} LM calls, {source})",
                    icon=":material/auto_awesome:", key="draft_go"):  # fmt: skip
        return
    bar = st.progress(0.0, text="Starting… (the embedded model may take a moment to load)")

    def progress(done: int, total: int) -> None:
        bar.progress(done / total, text=f"Drafting row {done:,} of {total:,}")

    with ui.friendly_errors("Drafting"):
        got = drafts.draft(todo[:how_many], max_calls=how_many * 4, progress=progress)
        st.session_state["answers_note"] = (
            f"Drafted {got.rows - got.failed} of {got.rows} rows with {got.calls} LM call(s), "
            f"using {got.source}."
            + (f" {got.failed} row(s) failed; their reason is in the table." if got.failed else "")
            + (f" Stopped: {got.stopped}." if got.stopped else "")
            + " Drafts are not labels: confirm or correct them below."
        )
    if "answers_note" in st.session_state:
        st.rerun()


def answers_section(data: pd.DataFrame) -> None:
    """The whole labelling section of the Data page (nothing when every row has an answer)."""
    if msg := st.session_state.pop("answers_error", None):
        st.error(safe.md(msg), icon=":material/error:")  # it may quote a typed answer
    if msg := st.session_state.pop("answers_note", None):
        st.success(safe.md(msg), icon=":material/check_circle:")
    if not labelling.input_columns():
        return
    column = labelling.answer_column()
    if column is None:
        answer_form()
        return
    done = labelling.labelled(data)
    count = int(done.sum())
    if count == len(data):
        return
    st.subheader("Label your rows")
    st.markdown(f"**{count} of {len(data)} labelled.**")
    if state.draft()["metric"].get("kind") == "judge":
        st.caption(
            "Your metric is a judge: it grades each answer against its criteria, so rows "
            "without an answer are used too and a run can start now (set the split below). An "
            "answer you give is shown to the judge as the expected one."
        )
    else:
        st.caption(gate_words(count))
    kept = drafts.load(state.project_dir())
    inputs = labelling.input_columns()
    keys = [labelling.key_of(data.iloc[p], inputs) for p in range(len(data))]
    todo = drafts.to_draft(data, kept)
    if todo:
        _draft_button(todo)
    suggested, why = drafts.suggest(data, kept)
    if why:
        st.info(safe.md(why), icon=":material/lightbulb:")  # a count and a percentage
    rest = [p for p in range(len(data)) if not done.iloc[p] and p not in suggested]
    rest.sort(key=lambda p: keys[p] not in kept)  # drafted rows first
    positions = (suggested + rest)[:SHOWN]
    grid = pd.DataFrame({ROW: [p + 2 for p in positions]})
    for c in inputs:
        grid[c] = [str(data.iloc[p][c]) for p in positions]
    found = [kept.get(keys[p], {}) for p in positions]
    proposed = [f.get("draft", "") if not f.get("error") else "" for f in found]
    grid[DRAFT] = [p or (f"no answer: {f['error']}" if f.get("error") else "")
                   for p, f in zip(proposed, found, strict=True)]  # fmt: skip
    grid[SURE] = [f"{float(f['confidence']):.0%}" if f.get("confidence") else "" for f in found]
    grid[ANSWER] = pd.Series([""] * len(positions), dtype="string")
    grid[RIGHT] = False
    options = labelling.choices()
    answer_col = (
        st.column_config.SelectboxColumn(ANSWER, options=options) if options
        else st.column_config.TextColumn(ANSWER)
    )  # fmt: skip
    st.caption(
        f"Tick **{RIGHT}** when the draft is right, or pick **{ANSWER}** when it is not; each "
        f"row is saved as a label at once. Row numbers are your spreadsheet's"
        + (f"; the first {SHOWN} unlabelled rows are shown." if len(positions) == SHOWN else ".")
    )
    committed_editor(
        grid, f"review_{state.rev()}", _on_edit(grid, positions, inputs, proposed),
        hide_index=True, width="stretch", num_rows="fixed",
        disabled=[ROW, *inputs, DRAFT, SURE],
        column_config={ANSWER: answer_col, RIGHT: st.column_config.CheckboxColumn(RIGHT)},
    )  # fmt: skip
