"""Which step made the difference, on the Compare page (programs of several steps only): the
run's best program scored on the validation rows with each changed step put back as it
started, so a person sees which step's tuning carried the gain and which did nothing."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from dashboard import home, safe, ui
from dashboard.run_data.runinfo import ACTIVE
from engine.runs import predictor_states, save_step_credit, saved_step_credit, step_credit


def credit_table(credits: list[Any]) -> pd.DataFrame:
    return pd.DataFrame([{
        "Step": c.step,
        "Score with this step as it started": ui.fmt_score(c.without),
        "What its tuning brought (95% range)": ui.fmt_range(c.versus),
    } for c in credits])  # fmt: skip


def credit_words(score: float, credits: list[Any]) -> str:
    """The step that carried the gain, and the ones that brought nothing, in one sentence."""
    if not credits:
        return "Tuning changed no step of this program: there is nothing to share out."
    top = max(credits, key=lambda c: score - c.without)
    if top.without >= score:
        return (
            f"No step's tuning moved the score on these rows: with any one of them put back as "
            f"it started, the program still scores {ui.fmt_score(score)} or more."
        )
    sure = top.versus is not None and top.versus["ci_low"] > 0
    words = (
        f"**{safe.md(top.step)}** carried most of the gain: with it as it started the program "
        f"scores {ui.fmt_score(top.without)} instead of {ui.fmt_score(score)}"
        + ("." if sure else " (on these few rows, not a sure difference).")
    )
    idle = [c.step for c in credits if c is not top and c.without >= score]
    if idle:
        words += f" Tuning {safe.md(', '.join(idle))} brought nothing on these rows."
    return words


def step_credit_section(run_id: str, run: dict[str, Any], best_state: dict[str, Any]) -> None:
    """Drawn for a finished program of two steps or more."""
    if len(predictor_states(best_state)) < 2 or run.get("status") in ACTIVE:
        return
    st.subheader("Which step made the difference")
    st.caption(
        "Your program has several steps. This scores the best program on the validation rows "
        "once more for each step its tuning changed, with that step put back as it started "
        "and the others kept: a step whose return costs many points carried the gain. Answers "
        "the run already has come from its cache."
    )
    if st.button("Measure each step's part", key=f"credit_go_{run_id}",
                 icon=":material/account_tree:"):  # fmt: skip
        bar = st.progress(0.0, text="Starting…")

        def progress(done: int, total: int, what: str) -> None:
            bar.progress(done / total, text=f"Scoring {done + 1} of {total}: {what}")

        with ui.friendly_errors("Measuring each step's part"):
            score, n, credits = step_credit(run_id, db_path=home.db_path(), progress=progress)
            save_step_credit(run_id, score, n, credits, home.db_path())
            bar.empty()
    kept = saved_step_credit(run_id, home.db_path())
    if kept is None:
        return
    score, n, credits = kept
    st.markdown(credit_words(score, credits))
    if credits:
        st.dataframe(credit_table(credits), hide_index=True, width="stretch")
        st.caption(f"On {n} validation rows; the tuned program scores {ui.fmt_score(score)}.")
