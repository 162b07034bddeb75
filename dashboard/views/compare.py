"""Compare page: two candidates side by side (instructions with a word diff, demos), the score
difference with its confidence interval, and an examples × candidates table with filters."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import home, safe, state, ui
from dashboard.glossary import explain
from dashboard.run_data import compare as cd
from dashboard.run_data import matrix as mx
from dashboard.run_data import runinfo
from dashboard.widgets.compare.cost_chart import cost_section
from dashboard.widgets.compare.importance_chart import importance_section
from dashboard.widgets.compare.mistakes_view import mistakes_section
from dashboard.widgets.compare.models_board import model_columns, models_section
from dashboard.widgets.compare.step_credit_view import step_credit_section
from dashboard.widgets.diff_view import diff_view
from dashboard.widgets.kpi import CARD_HEIGHT, points_delta, result_headline
from dashboard.widgets.put_in_use import put_in_use
from dashboard.widgets.try_input import try_input_box
from engine.runs import (
    candidates,
    events,
    expected_labels,
    load_program,
    matrix_candidates,
    matrix_csv,
    other_run_results,
    points,
    render_prompts,
    trials,
    verdict,
)

ui.header(
    "Compare", "What changed between two prompts, and on which examples it made a difference."
)
with st.columns([2, 3])[0]:
    run_id = runinfo.pick_run("compare_run")
if run_id is None:
    ui.empty_state(
        ":material/compare:",
        "Nothing to compare yet",
        "Run an optimization first; its candidate prompts appear here.",
        "optimize",
        "Go to Optimize",
    )
    st.stop()

run = runinfo.get(run_id)
db = home.db_path()
cands, trial_rows = candidates(run_id, db_path=db), trials(run_id, db_path=db)
baseline = runinfo.baseline_hash(run, cands, trial_rows)
labels = cd.candidate_labels(run, cands, trial_rows, baseline)
if len(labels) < 1:
    ui.empty_state(
        ":material/hourglass_top:",
        "No scored candidates yet",
        "Candidates appear as soon as the run scores them.",
        "run",
        "Watch the run",
    )
    st.stop()

if run.get("status") not in runinfo.ACTIVE and run.get("status") != "failed":
    outcome = runinfo.outcome(run_id)  # the run's held-out result leads, above the pickers
    result_headline(outcome)
hashes = list(labels)
best = run.get("best_candidate") if run.get("best_candidate") in labels else hashes[-1]
tried = cd.best_tried(run, trial_rows, baseline)
if tried in labels:  # the start was kept: B shows what was tried, not the start again
    best = tried
    st.caption(
        "B is the candidate that scored highest on the validation rows; its gain was not clear "
        "enough to keep it. Pick another candidate as B to see what else was tried."
    )
elif run.get("best_candidate") == baseline and baseline is not None:
    st.caption("Pick another candidate as B to see what was tried.")
a_col, b_col = st.columns(2)
a = a_col.selectbox(
    "Candidate A",
    hashes,
    help=explain("candidate"),
    index=hashes.index(baseline) if baseline in hashes else 0,
    format_func=labels.get,
    key=f"cmp_a_{run_id}",
)
b = b_col.selectbox(
    "Candidate B", hashes, index=hashes.index(best), format_func=labels.get, key=f"cmp_b_{run_id}"
)
state_of = {c["hash"]: c.get("state") or {} for c in cands}
short_a, short_b = labels[a].split(" — ")[0], labels[b].split(" — ")[0]

# -- score and CI ------------------------------------------------------------------------------
subsets = [s for s in ("val", "test") if any(t["subset"] == s for t in trial_rows)]
subset_names = {"val": "Validation rows", "test": "Held-out test rows"}
subset = (
    st.segmented_control(
        "Scored on",
        subsets or ["val"],
        default=(subsets or ["val"])[0],
        format_func=lambda s: subset_names.get(s, s),
        key=f"cmp_subset_{run_id}",
        help=f"**Validation rows**: {explain('validation rows')}  \n"
        f"**Held-out test rows**: {explain('held-out rows')}",
    )
    or "val"
)
res = cd.results(run_id, subset)
comp = cd.paired(res, a, b)
k1, k2, k3 = st.columns(3)
GAIN_LABEL = "How much better B is (likely range)"


def _other_candidates(other: str, best_key: str, on: str) -> dict[str, str]:
    """{"run id:hash": its name} for the candidates run `other` scored on its `on` rows,
    besides its best (`best_key`), in the order its pages list them."""
    o_run = runinfo.get(other) or {}
    o_cands, o_trials = candidates(other, db_path=db), trials(other, db_path=db)
    o_labels = cd.candidate_labels(o_run, o_cands, o_trials,
                                   runinfo.baseline_hash(o_run, o_cands, o_trials))  # fmt: skip
    scored_on = {t["candidate"] for t in o_trials if t["subset"] == on}
    return {f"{other}:{h}": f"Run {other[-6:]} · {label}" for h, label in o_labels.items()
            if h in scored_on and f"{other}:{h}" != best_key}  # fmt: skip


def _mean(h: str) -> float | None:
    if res.empty:
        return None
    s = res[res["candidate"] == h]["score"]
    return None if s.empty else float(s.fillna(0).mean())


k1.metric(f"Score A ({short_a})", ui.fmt_score(_mean(a)), border=True, height=CARD_HEIGHT)
k2.metric(
    f"Score B ({short_b})",
    ui.fmt_score(_mean(b)),
    delta=f"{delta} vs A" if comp and (delta := points_delta(comp["diff"])) else None,
    # coloured only when the difference is clear (the verdict below), grey otherwise
    delta_color="normal" if comp and verdict(comp).kind != "unclear" else "off",
    border=True,
    height=CARD_HEIGHT,
)
if comp and a != b:
    k3.metric(
        GAIN_LABEL,
        f"{points(comp['ci_low'])} to {points(comp['ci_high'])} pts",
        help="B's score minus A's, in points, on the rows both were scored on: 95% likely "
        "within this range (the same range the run's headline gives for the same two "
        "candidates and rows). When it includes 0, the two may be equally good. In "
        "statisticians' words: a paired bootstrap confidence interval of B − A.",
        border=True,
        height=CARD_HEIGHT,
    )
    said = verdict(comp)
    st.caption(
        f"B against A on {comp['n']} rows scored for both: **{said.words}** "
        f"({said.range_text})" + (": more rows would tell." if said.kind == "unclear" else ".")
    )
else:
    k3.metric(GAIN_LABEL, "—", border=True, height=CARD_HEIGHT)
    if a != b:
        st.caption("These two candidates were not scored on the same rows of this subset.")

put_in_use(run, b, f"cmp_put_b_{run_id}", label="Put B in use", what="candidate B",
           origin=None if b in (run.get("best_candidate"), baseline) else "accepted from Compare")
try_input_box(run_id, b, key="cmp_try", label=f"candidate B ({short_b})")

paths = list(dict.fromkeys(list(state_of.get(a, {})) + list(state_of.get(b, {}))))
task_model = (((run.get("spec") or {}).get("models") or {}).get("task") or {}).get("model", "")
model_rows = cd.model_rows(state_of.get(a, {}), state_of.get(b, {}), paths, task_model)
if model_rows:  # a fine-tuned candidate: the weights changed, not (only) the prompt
    st.subheader("Model")
    st.caption(
        "A and B answer with different models: the tuned one was trained on this run's "
        "lessons (the rows the model answered right). The table at the bottom of the page "
        "shows both models' answers on the same rows."
    )
    st.dataframe(pd.DataFrame(model_rows), hide_index=True, width="stretch")

# -- prompts -----------------------------------------------------------------------------------
st.subheader("Instructions")
for path in paths:
    pa, pb = state_of.get(a, {}).get(path, {}), state_of.get(b, {}).get(path, {})
    if len(paths) > 1:
        st.markdown(f"**Step {safe.md(path)}**")
    diff_view(
        pa.get("signature", {}).get("instructions", ""),
        pb.get("signature", {}).get("instructions", ""),
        f"A · {short_a}",
        f"B · {short_b}",
        same_note=cd.same_instruction_note(pa, pb),
    )

st.subheader("Examples shown to the model", help=explain("examples in the prompt"))
for path in paths:
    if len(paths) > 1:
        st.markdown(f"**Step {safe.md(path)}**")
    inputs, outputs = cd.spec_fields(run.get("spec") or {}, path)
    demos_a, demos_b = (state_of.get(h, {}).get(path, {}).get("demos", []) for h in (a, b))
    same = demos_a == demos_b
    if same:
        st.caption(
            f"A and B show the same {len(demos_a)} example(s)."
            if demos_a
            else "Neither shows examples: the model only gets the instructions."
        )
    sides = [(a, short_a, demos_a, demos_b), (b, short_b, demos_b, demos_a)]
    if same:  # one table for both (none when neither shows any)
        sides = sides[:1] if demos_a else []
    for h, short, demos, other in sides:
        st.markdown(f"**{'A and B' if same else short}: {len(demos)} example(s)**")
        if demos:
            frame = pd.DataFrame(cd.demo_rows(demos, inputs, outputs, other))
            if same:
                frame = frame.drop(columns="in the other prompt")
            st.dataframe(
                frame, hide_index=True, width="stretch", height=min(300, 38 + 35 * len(frame)),
                key=f"cmp_demos_{path}_{h}",
            )  # fmt: skip
        else:
            st.caption("No examples: the model only gets the instructions.")

if any(cd.offset_rows(state_of.get(h, {}).get(path, {})) for h in (a, b) for path in paths):
    st.subheader("Calibrated choices")
    st.caption(
        f"{explain('calibrated choices')} Each shift is taken off the model's score for a value "
        "before it picks one (embedded model only)."
    )
    for path in paths:
        left, right = st.columns(2)
        for col, h, short in ((left, a, short_a), (right, b, short_b)):
            rows = cd.offset_rows(state_of.get(h, {}).get(path, {}))
            col.markdown(f"**{short}**" + (f" · step {safe.md(path)}" if len(paths) > 1 else ""))
            if rows:
                col.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
            else:
                col.caption("Not calibrated: the model picks as it scores.")

cost_section(run, cands, trial_rows, labels)
models_section(run_id, run)
importance_section(run_id, events(run_id, types=["proposals"], db_path=db), cands, trial_rows)
step_credit_section(run_id, run, state_of.get(best) or run.get("program") or {})

# -- examples × candidates ---------------------------------------------------------------------
st.subheader("Example by example")
label_fields = [
    f["name"]
    for f in (run.get("spec") or {}).get("pipeline", [{}])[-1].get("fields", [])
    if f.get("role") == "output"
]
scored = [h for h in hashes if not res.empty and h in set(res["candidate"])]
picks_key = f"cmp_cands_{run_id}"
st.session_state.setdefault(picks_key, [h for h in dict.fromkeys([a, b]) if h in scored])
if len(scored) > 2:
    how_many, show_top = st.columns([1, 3], vertical_alignment="bottom")
    top_n = int(how_many.number_input("How many of the best", 2, len(scored), min(5, len(scored)),
                                      key=f"cmp_top_n_{run_id}"))  # fmt: skip
    ranked = [h for h in matrix_candidates(run, trial_rows, subset, top_n) if h in scored]
    show_top.button(f"Show the {top_n} best on these rows", key=f"cmp_top_{run_id}",
                    icon=":material/format_list_numbered:", on_click=state.set_widget,
                    args=(picks_key, ranked))  # fmt: skip
order = st.multiselect(
    "Candidates in the table",
    scored,
    format_func=labels.get,
    key=picks_key,
    help="Any of the run's candidates scored on these rows, as many as you like.",
) or [h for h in dict.fromkeys([a, b]) if h in scored]  # fmt: skip
runs_by_id = {r["id"]: r for r in runinfo.all_runs(limit=200)}
siblings = mx.sibling_bests(run, list(runs_by_id.values()))
names = dict(labels)
for key, other in siblings.items():  # each other run's best first, then its other candidates
    names[key] = f"Run {other[-6:]} best — {runinfo.run_label(runs_by_id[other])}"
    names.update(_other_candidates(other, key, subset))
more = st.multiselect(
    "Add prompts of another run of this project",
    [key for key in names if key not in labels],
    format_func=names.get,
    key=f"cmp_more_{run_id}",
    help="Its answers on the rows of this table (rows it was not scored on say so). Each "
    "run's best prompt comes first, then the others it scored on these rows.",
) if siblings else []  # fmt: skip
rows_here = set(res["example_id"]) if not res.empty else set()
added = []  # other runs' prompts and other models: columns beside this run's candidates
for key in more:
    found = pd.DataFrame(other_run_results(key, subset, rows_here, db))
    if found.empty:
        st.warning(f"{safe.md(names[key])} was scored on other rows: nothing to show.",
                   icon=":material/warning:")  # fmt: skip
        continue
    added.append(found)
    order = [*order, key]
on_models = model_columns(run_id, subset)
if not on_models.empty:
    added.append(on_models)
    order = [*order, *dict.fromkeys(on_models["candidate"])]
res_all = pd.concat([res, *added], ignore_index=True) if added else res
expected = expected_labels(run)
table, scores = cd.matrix(res_all, order, names, expected, label_fields)
if table.empty:
    st.info("No per-example results for this subset yet.", icon=":material/info:")
    st.stop()
left, right = st.columns([3, 2], vertical_alignment="bottom")
filt = left.segmented_control("Show", mx.FILTERS, default="All", key=f"cmp_filter_{run_id}")
hardest = right.toggle("Hardest rows first", key=f"cmp_hard_{run_id}",
                       help="Rows the shown candidates score lowest on, first.")  # fmt: skip
cols = list(scores.columns)
keep = mx.kept(scores[cols], filt or "All")
view, view_scores = table[keep], scores[keep]
if hardest:
    ranked = mx.hardest_first(view_scores)
    view, view_scores = view.loc[ranked], view_scores.loc[ranked]
constrained = cd.constraint_failures(res, order)
if constrained:
    st.warning(
        "**Constraint failed** (an `Assert` in the program did not hold, so the row scores 0): "
        + ", ".join(
            f"{labels.get(h, h).split(' — ')[0]} on {n} row(s)" for h, n in constrained.items()
        ),
        icon=":material/rule:",
    )
size = mx.page_size(len(cols))
page_count = mx.pages(len(view), size)
number = 1
if page_count > 1:
    number = int(st.number_input(f"Page (of {page_count})", 1, page_count, 1,
                                 key=f"cmp_page_{run_id}"))  # fmt: skip
shown_view, shown_scores = mx.page(view, number, size), mx.page(view_scores, number, size)
first = (number - 1) * size
st.caption(
    (f"Rows {first + 1}–{first + len(shown_view)} of {len(view)}" if page_count > 1
     else f"{len(view)}") + f" of {len(table)} rows · ✓ right, ✗ wrong, ◐ partial credit "
    "(green/red/amber). Click a row to see it in full."
    + (" The “why” columns hold the metric's reason for each score."
       if len(table.columns) > len(cols) + 2 else "")
)  # fmt: skip


def _colour(frame: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame("", index=frame.index, columns=frame.columns)
    for c in cols:
        out[c] = [
            "background-color:#dcfce7"
            if (s or 0) >= 1
            else "background-color:#fef3c7"
            if s is not None and s == s and s > 0
            else "background-color:#fee2e2"
            if s is not None and s == s
            else ""
            for s in shown_scores[c]
        ]
    return out


# the example text gives up width first, and A and B with their reasons fit a laptop's width
# without scrolling sideways (a reason longer than its column shows whole on hover)
widths = {c: st.column_config.Column(width=240) for c in shown_view.columns[:1]}
widths.update(
    {c: st.column_config.Column(width=180) for c in shown_view.columns if str(c).endswith(" · why")}
)
picked = st.dataframe(
    shown_view.style.apply(_colour, axis=None),
    hide_index=True,
    width="stretch",
    height=min(520, 38 + 35 * max(len(shown_view), 1)),
    column_config=widths,
    on_select="rerun",
    selection_mode="single-row",
    key=f"cmp_matrix_{run_id}_{subset}",
)
title = f"{run.get('name') or run_id}: {subset_names.get(subset, subset).lower()}"
down_csv, down_html, _ = st.columns(3)
own = [h for h in order if h in labels]  # this run's candidates, then the added columns
extra = [r for frame in added for r in frame.to_dict("records")]
rows_csv = matrix_csv(run_id, db, own, subset=subset, names=names, rows=list(view.index),
                      extra=extra)  # fmt: skip
down_csv.download_button("Download as CSV", rows_csv.encode("utf-8-sig"), mime="text/csv",
                         file_name=f"{run_id}-rows.csv", icon=":material/download:")  # fmt: skip
down_html.download_button("Download as a web page", mx.as_html(view, view_scores, title),
                          file_name=f"{run_id}-rows.html", mime="text/html",
                          icon=":material/download:")  # fmt: skip
rows_picked = (picked.selection.rows if picked is not None and hasattr(picked, "selection")
               else [])  # fmt: skip
if rows_picked:
    example = shown_view.index[rows_picked[0]]
    inputs = next(iter(res[res["example_id"] == example]["inputs"]), None) or {}
    with st.container(border=True):
        st.markdown("**This row in full**")
        for name, value in inputs.items():
            st.caption(safe.md(name))
            safe.text_box(value)
        for found in mx.row_detail(res_all, example, order, names):
            st.markdown(f"**{safe.md(found['name'])}** · score {ui.fmt_score(found['score'])}")
            for name, value in found["outputs"].items():
                st.caption(safe.md(name))
                safe.text_box(value)
            if found["why"] or found["error"]:
                st.caption("why: " + safe.md(found["why"] or found["error"]))
            if found["replies"]:
                with st.expander("The reply as the model wrote it"):
                    for step, text in found["replies"]:
                        if len(found["replies"]) > 1:
                            st.caption(f"Step {safe.md(step)}")
                        st.code(text, language=None, wrap_lines=True)
            with st.expander("The prompt it sends for this row"):
                try:
                    owner, _, cand = found["candidate"].rpartition(":")
                    if found["candidate"] in set(on_models.get("candidate", [])):
                        owner, cand = run_id, run.get("best_candidate")  # the board's prompt
                    program = load_program(owner or run_id, db, cand)
                    prompt = render_prompts(program, inputs)
                except Exception as error:  # noqa: BLE001  (the data or spec moved on)
                    prompt = f"The prompt could not be rebuilt: {error}"
                st.code(prompt, language=None, wrap_lines=True)

# -- where a candidate goes wrong ------------------------------------------------------------
mistakes_section(run, res, expected, {a: short_a, b: short_b}, b, label_fields)
