"""On other models, on the Compare page: the run's best prompt, unchanged, scored on the run's
held-out rows with other models (the engine's leaderboard, every row asked afresh), the board
kept with the run so it is still there after a reload; and, on request, the task tuned again
on each model with a share of the run's budget (a run of its own, scored on the board once it
has finished); and the board's models as columns of the rows table (`model_columns`)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from dashboard import home, launcher, lmtools, safe, state, ui
from dashboard.run_data import runinfo
from dashboard.run_data.runinfo import ago, status_label
from engine.optimizers import registry
from engine.runs import (
    leaderboard,
    model_answers,
    note_retune,
    retune_spec,
    retunes,
    run_model_files,
    save_leaderboard,
    saved_leaderboard,
)

SUGGESTED = ("local/smollm2-135m-q4_1", "local/smollm2-135m")  # the embedded model's two files
SUBSET_WORDS = {"test": "held-out rows", "val": "validation rows"}


def tuned_models(run: dict[str, Any]) -> list[str]:
    """`local/<file>` of each model a weights run of this project (by name) handed back and this
    computer still has, newest first: fine-tuned models to score the run's prompt with."""
    found: list[str] = []
    for other in runinfo.all_runs(limit=200):
        entry = registry.get(str(other.get("optimizer") or ""))
        if (other.get("name") != run.get("name") or entry is None or not entry.tunes_weights
                or not other.get("best_candidate")):  # fmt: skip
            continue
        with ui.friendly_errors(f"Reading run {other['id']}'s model"):
            found += [f"local/{f.path}" for f in run_model_files(other["id"], home.db_path())]
    return list(dict.fromkeys(found))


def _versus(row: Any) -> str:
    """The model's score against the first model's on the same rows, with its 95% range."""
    return ui.fmt_range(row.versus, ", a real difference") if row.versus else "the run's own model"


def board_table(standings: list[Any]) -> pd.DataFrame:
    """One line per model, in words a person reads."""
    return pd.DataFrame([{
        "Model": s.model,
        "Score (95% range)": ui.fmt_score(s.score) + _own_range(s.score_range),
        "Against the run's model (95% range)": _versus(s),
        "Tokens / 1,000 rows": f"{s.tokens_per_1000:,.0f}",
        "$ / 1,000 rows": ui.fmt_cost(s.dollars_per_1000, s.dollars_per_1000 is not None),
        "Seconds a row (slowest 5%)": f"{s.p50:.1f} ({s.p95:.1f})",
        "No usable answer": s.failed,
    } for s in standings])  # fmt: skip


def _own_range(kept: tuple[float, float] | None) -> str:
    return "" if kept is None else f" ({ui.fmt_score(kept[0])} to {ui.fmt_score(kept[1])})"


def _tune_again(run_id: str, models: list[str], api_base: str, share: float) -> bool:
    """Start a run per model that tunes the task again on it (its worker in the background).
    Every model is checked first: one that cannot be used starts none (False)."""
    specs = {}
    with ui.friendly_errors("Tuning again"):
        for model in models:
            specs[model] = retune_spec(
                run_id, model, api_base=api_base or None, share=share, db_path=home.db_path(),
                api_key=state.api_key() or None,
            )  # fmt: skip
    if len(specs) < len(models):
        return False
    for model, spec in specs.items():
        with ui.friendly_errors(f"Tuning again on {model}"):
            key_env = lmtools.run_key_env(spec.to_dict()["models"])
            new = launcher.start(spec, home.db_path(), key_env)
            note_retune(run_id, model, new, share, home.db_path())
    return True


def _finished_retunes(run_id: str, models: list[str]) -> dict[str, str]:
    """{model: run} of the newest finished re-tune of each model."""
    done = [r for r in retunes(run_id, home.db_path()) if r["tuned"]]
    return {r["model"]: r["run"] for r in done if r["model"] in models}


def _retune_list(run_id: str) -> None:
    started = retunes(run_id, home.db_path())
    if not started:
        return
    st.markdown("**Tuned again on other models**")
    for r in started:
        score = "" if r.get("test_best") is None else f", held-out {ui.fmt_score(r['test_best'])}"
        left, right = st.columns([4, 1], vertical_alignment="center")
        left.markdown(
            f"{safe.md(r['model'])}: {status_label(str(r.get('status')))}{score} "
            f"({r['share']:.0%} of the budget)"
        )
        with right:
            ui.go_button("run", "Open its run", key=f"board_open_{r['run']}",
                         query={"run": r["run"]})  # fmt: skip
    st.caption("A finished one is scored beside its model the next time you score the board.")


def _score_now(run_id: str, run: dict[str, Any], models: list[str], api_base: str,
               subset: str) -> None:  # fmt: skip
    bar = st.progress(0.0, text="Starting… (an embedded model may take a moment to load)")

    def progress(done: int, total: int, model: str) -> None:
        bar.progress(done / total, text=f"Model {done + 1} of {total}: {model}")

    with ui.friendly_errors("Scoring on other models"):
        standings = leaderboard(
            run_id, models, db_path=home.db_path(), api_base=api_base or None, subset=subset,
            api_key=state.api_key() or None, progress=progress,
            retuned=_finished_retunes(run_id, models),
        )  # fmt: skip
        save_leaderboard(run_id, standings, subset, run.get("best_candidate"), home.db_path())
        bar.empty()


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
            "Models", [m for m in (*SUGGESTED, *tuned_models(run)) if m != own],
            accept_new_options=True,
            placeholder="Pick one, or type a name such as openai/gpt-4o-mini",
            key=f"board_models_{run_id}",
            help="The embedded model comes in two files: smollm2-135m (the default, 8-bit) and "
            "smollm2-135m-q4_1 (smaller, 4-bit). The models this project's fine-tuning runs made "
            "are listed too; another fine-tuned model: local/ and its .gguf path.",
        )  # fmt: skip
        api_base = st.text_input(
            "Server address (only for a model on your own server)", key=f"board_base_{run_id}",
            placeholder="http://127.0.0.1:8080/v1",
        )  # fmt: skip
        again = st.checkbox(
            "Also tune the task again on each model", key=f"board_again_{run_id}",
            help="Starts a run per model with the same optimizer and settings and a share of "
            "this run's budget; its prompt is scored here once it has finished. A prompt tuned "
            "for one model is not always the best for another.",
        )  # fmt: skip
        share = st.slider("Share of this run's budget", 10, 100, 50, 10, format="%d%%",
                          key=f"board_share_{run_id}")  # fmt: skip
        asked = st.form_submit_button("Score on these models", icon=":material/leaderboard:")
    chosen = [m.strip() for m in models if m.strip()]
    if asked and not chosen:
        st.warning("Pick or type at least one model to compare with.", icon=":material/info:")
    elif asked:
        if not again or _tune_again(run_id, chosen, api_base.strip(), share / 100):
            _score_now(run_id, run, chosen, api_base.strip(), subset)
    _retune_list(run_id)
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


def model_columns(run_id: str, subset: str) -> pd.DataFrame:
    """The picker of the kept board's models for the rows table, and the rows of those picked
    (shaped as the run's results, each model's column "on <model>"); empty when none."""
    kept = saved_leaderboard(run_id, home.db_path())
    if kept is None or not any(s.answers for s in kept[0]):
        return pd.DataFrame()
    if kept[1].get("subset") != subset:
        where = SUBSET_WORDS.get(kept[1].get("subset"), "other rows")
        st.caption(f"The models in “On other models” were scored on the {where}: show those rows "
                   "(Scored on, above) to add their answers to the table.")  # fmt: skip
        return pd.DataFrame()
    rows = pd.DataFrame(model_answers(kept[0]))
    picked = st.multiselect(
        "Add the models from “On other models”", list(dict.fromkeys(rows["candidate"])),
        key=f"cmp_models_{run_id}",
        help="Each model's answers with this run's best prompt, every row asked afresh: the "
        "run's own model first, then each other model you scored.",
    )  # fmt: skip
    return rows[rows["candidate"].isin(picked)]
