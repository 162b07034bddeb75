"""On other models, on the Compare page: the run's best prompt, unchanged, scored on the run's
held-out rows with other models (the engine's leaderboard, every row asked afresh), and the
board kept with the run so it is still there after a reload."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from dashboard import home, safe, state, ui
from dashboard.run_data.runinfo import ago
from engine.runs import leaderboard, save_leaderboard, saved_leaderboard

SUGGESTED = ("local/smollm2-135m-q4_1", "local/smollm2-135m")  # the embedded model's two files
SUBSET_WORDS = {"test": "held-out rows", "val": "validation rows"}


def _versus(row: Any) -> str:
    """The model's score against the first model's on the same rows, with its 95% range."""
    if not row.versus:
        return "the run's own model"
    diff, low, high = (100 * row.versus[k] for k in ("diff", "ci_low", "ci_high"))
    sure = "" if low <= 0 <= high else ", a real difference"
    return f"{diff:+.0f} points ({low:+.0f} to {high:+.0f}{sure})"


def board_table(standings: list[Any]) -> pd.DataFrame:
    """One line per model, in words a person reads."""
    return pd.DataFrame([{
        "Model": s.model,
        "Score": ui.fmt_score(s.score),
        "Against the run's model (95% range)": _versus(s),
        "Tokens / 1,000 rows": f"{s.tokens_per_1000:,.0f}",
        "$ / 1,000 rows": ui.fmt_cost(s.dollars_per_1000, s.dollars_per_1000 is not None),
        "Seconds a row (slowest 5%)": f"{s.p50:.1f} ({s.p95:.1f})",
        "No usable answer": s.failed,
    } for s in standings])  # fmt: skip


def _score_now(run_id: str, run: dict[str, Any], models: list[str], api_base: str,
               subset: str) -> None:  # fmt: skip
    bar = st.progress(0.0, text="Starting… (an embedded model may take a moment to load)")

    def progress(done: int, total: int, model: str) -> None:
        bar.progress(done / total, text=f"Model {done + 1} of {total}: {model}")

    with ui.friendly_errors("Scoring on other models"):
        standings = leaderboard(
            run_id, models, db_path=home.db_path(), api_base=api_base or None, subset=subset,
            api_key=state.api_key() or None, progress=progress,
        )  # fmt: skip
        save_leaderboard(run_id, standings, subset, run.get("best_candidate"), home.db_path())
        bar.progress(1.0, text="Done")


def models_section(run_id: str, run: dict[str, Any]) -> None:
    """The form that scores the best prompt on other models, and the last board kept."""
    st.subheader("On other models")
    subset = "test" if run.get("test_best") is not None else "val"
    own = ((run.get("spec") or {}).get("models") or {}).get("task", {}).get("model", "")
    st.caption(
        f"Try this run's best prompt, unchanged, with other models on the same "
        f"{SUBSET_WORDS[subset]}: every row is asked afresh, and each model is compared with "
        f"the run's own ({safe.md(own)}) row by row. A model from a provider needs its key "
        "(typed on the Optimize page, or set where the dashboard runs); a model on your own "
        "server needs its address."
    )
    with st.form(key=f"board_form_{run_id}", border=True):
        models = st.multiselect(
            "Models", [m for m in SUGGESTED if m != own], accept_new_options=True,
            placeholder="Pick one, or type a name such as openai/gpt-4o-mini",
            key=f"board_models_{run_id}",
            help="The embedded model comes in two files: smollm2-135m (the default, 8-bit) and "
            "smollm2-135m-q4_1 (smaller, 4-bit). A fine-tuned model: local/ and its .gguf path.",
        )  # fmt: skip
        api_base = st.text_input(
            "Server address (only for a model on your own server)", key=f"board_base_{run_id}",
            placeholder="http://127.0.0.1:8080/v1",
        )  # fmt: skip
        asked = st.form_submit_button("Score on these models", icon=":material/leaderboard:")
    if asked and not models:
        st.warning("Pick or type at least one model to compare with.", icon=":material/info:")
    elif asked:
        _score_now(run_id, run, [m.strip() for m in models if m.strip()], api_base.strip(), subset)
    kept = saved_leaderboard(run_id, home.db_path())
    if kept is None:
        return
    standings, data = kept
    where = SUBSET_WORDS.get(data.get("subset"), "rows")
    st.caption(
        f"Last scored {ago(data.get('time'))}, on {standings[0].n} {where}, each with "
        f"{'its' if len(standings) == 1 else 'the same'} prompt."
    )
    st.dataframe(board_table(standings), hide_index=True, width="stretch")
    best = max(standings, key=lambda s: s.score)
    unsure = best.versus is not None and best.versus["ci_low"] <= 0
    st.markdown(
        f"Highest score here: **{safe.md(best.model)}** at {ui.fmt_score(best.score)}"
        + (f", but on {best.n} rows that is not a sure difference from the run's own model "
           "(its 95% range reaches 0): score more rows before switching." if unsure else ".")
    )  # fmt: skip
