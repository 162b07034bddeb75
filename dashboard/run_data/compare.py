"""Data for the Compare page: candidate labels, per-example results as a matrix, the paired CI."""

from __future__ import annotations

from typing import Any

import pandas as pd

from dashboard import home
from dashboard.glossary import plain_origin
from dashboard.run_data import runinfo
from engine.runs import (
    CONSTRAINT_FAILED,
    candidates,
    example_results,
    is_constraint_failure,
    is_off_list,
    model_file,
    paired_by_id,
    percent,
    size_words,
    step_model,
    trials,
)


def candidate_labels(
    run: dict[str, Any],
    cands: list[dict[str, Any]],
    trials: list[dict[str, Any]],
    baseline: str | None,
) -> dict[str, str]:
    """hash -> 'Best — example set 4 (...) (75%)' for candidates that were scored: the one
    name every page (and the results CSV) gives a candidate."""
    val_score = first_val_scores(trials)
    tried = best_tried(run, trials, baseline)
    labels = {}
    number = 0
    for c in cands:
        h = c["hash"]
        if h not in {t["candidate"] for t in trials}:
            continue
        number += 1
        score = f" (validation {percent(val_score[h])})" if h in val_score else ""
        if h == baseline and h == run.get("best_candidate"):
            name = "Baseline, kept as the best — " + (
                "no candidate beat your prompt clearly"
                if tried
                else "no candidate beat your prompt"
            )
        elif h == baseline:
            name = "Baseline — your prompt as written"
        elif h == run.get("best_candidate"):
            name = f"Best — {plain_origin(c.get('origin'))}"
        elif h == tried:
            name = f"Best tried, not kept — {plain_origin(c.get('origin'))}"
        else:
            name = f"Candidate {number} — {plain_origin(c.get('origin'))}"
        labels[h] = name + score
    return labels


def first_val_scores(trials: list[dict[str, Any]]) -> dict[str, float]:
    """hash -> its first validation score (the one the search ranked it by)."""
    scores: dict[str, float] = {}
    for t in trials:
        if t["subset"] == "val" and t["score"] is not None:
            scores.setdefault(t["candidate"], t["score"])
    return scores


def best_tried(
    run: dict[str, Any], trials: list[dict[str, Any]], baseline: str | None
) -> str | None:
    """When the run kept the starting prompt: the candidate that scored highest on validation
    above it (what was tried but not clearly better), else None."""
    if baseline is None or run.get("best_candidate") != baseline:
        return None
    scores = first_val_scores(trials)
    above = {h: v for h, v in scores.items() if h != baseline and v > scores.get(baseline, 1.0)}
    return max(above, key=lambda h: above[h]) if above else None


def results(run_id: str, subset: str) -> pd.DataFrame:
    """One row per (candidate, example) evaluated on `subset`."""

    rows = example_results(run_id, subset=subset, db_path=home.db_path())
    return pd.DataFrame(rows)


def answer_text(outputs: Any, fields: list[str]) -> str:
    """The answer's label fields as one line (its other outputs when it has none)."""
    outputs = outputs if isinstance(outputs, dict) else {}
    keys = [f for f in fields if f in outputs] or [k for k in outputs if k != "reasoning"]
    return ", ".join(str(outputs[k]) for k in keys) if keys else "(no answer)"


def mark(score: Any) -> str:
    """✓ right, ✗ wrong, ◐ 0.75 for partial credit."""
    value = float(score or 0)
    if value >= 1:
        return "✓ "
    return f"◐ {value:.2f} " if value > 0 else "✗ "


OFF_LIST_WORDS = "answer not among the labels"


def failure_text(error: Any, detail: bool = False) -> str:
    """How a failed row reads in a table: 'constraint failed' (with `detail`, its message) when
    an Assert in the program did not hold, 'answer not among the labels' for a choice answered
    off the list, else 'no valid answer'."""
    if is_off_list(error):
        return OFF_LIST_WORDS
    if not is_constraint_failure(error):
        return "no valid answer"
    return str(error)[:100] if detail else CONSTRAINT_FAILED


def constraint_failures(res: pd.DataFrame, order: list[str]) -> dict[str, int]:
    """hash -> rows failed by an Assert, for the candidates in `order` that have any."""

    if res.empty or "error" not in res.columns:
        return {}
    counts = res[res["error"].map(is_constraint_failure)]["candidate"].value_counts()
    return {h: int(counts[h]) for h in order if h in counts.index}


def why_column(short: str) -> str:
    return f"{short} · why"


def matrix(
    res: pd.DataFrame,
    order: list[str],
    labels: dict[str, str],
    expected: dict[str, dict[str, Any]],
    label_fields: list[str],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(table of inputs/expected/answers per candidate, matching table of scores), both
    indexed by example id.

    When the metric explained its scores, each candidate's column is followed by
    "<candidate> · why" with the metric's feedback on that row."""
    if res.empty:
        return pd.DataFrame(), pd.DataFrame()
    res = res[res["candidate"].isin(order)]
    explained = "feedback" in res.columns and res["feedback"].notna().any()
    examples = res.drop_duplicates("example_id").sort_values("idx")
    # each (candidate, row)'s first result, found once: a table past 10,000 cells draws at once
    first = res.drop_duplicates(["candidate", "example_id"])
    cells = {(r["candidate"], r["example_id"]): r for r in first.to_dict("records")}
    table, scores = [], []
    for ex in examples.to_dict("records"):
        inputs = ex["inputs"] or {}
        row = {"example": " | ".join(str(v) for v in inputs.values())[:120]}
        exp = expected.get(ex["example_id"], {})
        row["expected"] = ", ".join(str(exp[k]) for k in label_fields if k in exp) or "—"
        srow = {}
        for h in order:
            r = cells.get((h, ex["example_id"]))
            short = labels.get(h, h).split(" — ")[0]
            if r is None:
                row[short], srow[short] = "not scored", None
                if explained:
                    row[why_column(short)] = ""
                continue
            failed = isinstance(r["error"], str) and r["error"].strip()
            text = (
                failure_text(r["error"], True)
                if failed
                else answer_text(r["outputs"], label_fields)
            )
            row[short] = mark(r["score"]) + text
            srow[short] = r["score"]
            if explained:
                feedback = r.get("feedback")
                reason = feedback if isinstance(feedback, str) else ""
                row[why_column(short)] = reason or (r["error"] if failed else "")
        table.append(row)
        scores.append(srow)
    ids = pd.Index(examples["example_id"], name="example_id")
    return pd.DataFrame(table, index=ids), pd.DataFrame(scores, index=ids)


def paired(res: pd.DataFrame, a: str, b: str) -> dict[str, Any] | None:
    """The paired comparison of B - A over the examples both were scored on (`paired_by_id`:
    the same range the run's headline and keep-start rule give for the same two)."""

    if res.empty:
        return None
    sa = res[res["candidate"] == a].set_index("example_id")["score"]
    sb = res[res["candidate"] == b].set_index("example_id")["score"]
    return paired_by_id(sa.to_dict(), sb.to_dict())


def offset_rows(step_state: dict[str, Any]) -> list[dict[str, Any]]:
    """A step's fitted choice offsets (`engine.optimizers.calibration._choices`) as table rows:
    output, value, and the shift taken off the model's score for that value."""
    return [
        {"output": field, "value": value, "shift": round(float(offset), 2),
         "what it means": shift_words(value, float(offset))}
        for field, values in (step_state.get("choice_offsets") or {}).items()
        for value, offset in values.items()
    ]  # fmt: skip


def shift_words(value: str, offset: float) -> str:
    """A fitted offset in words: which way it moves the model's pick of `value`."""
    if abs(offset) < 0.005:
        return f"“{value}” is left as the model scores it"
    if offset > 0:
        return f"the model leaned toward “{value}”: it now needs more evidence to answer it"
    return f"the model leaned away from “{value}”: it now answers it more readily"


def same_instruction_note(step_a: dict[str, Any], step_b: dict[str, Any]) -> str:
    """What to say when two candidates' instructions for a step are identical: where the
    difference is (demos, calibrated choices), or that there is none in this step."""
    differs = {
        "the model's weights": step_model(step_a) != step_model(step_b),
        "the examples (demos)": (step_a.get("demos") or []) != (step_b.get("demos") or []),
        "the calibrated choices": (step_a.get("choice_offsets") or {})
        != (step_b.get("choice_offsets") or {}),
    }
    where = [name for name, changed in differs.items() if changed]
    if not where:
        return "The instructions are identical, and so is everything else in this step."
    return f"The instructions are identical; the difference is in {' and '.join(where)} below."


def model_words(step_state: dict[str, Any], spec_model: str) -> str:
    """The model a candidate's step answers with, in words: the project's own model, or the
    tuned model file this run trained (its name and size)."""
    model = step_model(step_state) or spec_model
    found = model_file(model)
    if found is not None and ".ft-" in found.name:
        return f"the tuned model ({found.name}, {size_words(found.stat().st_size)})"
    if found is not None:
        return f"the model file {found.name} ({size_words(found.stat().st_size)})"
    return f"the base model ({model})" if model == spec_model else f"the model {model}"


def model_rows(
    state_a: dict[str, Any], state_b: dict[str, Any], paths: list[str], spec_model: str
) -> list[dict[str, str]]:
    """One row per step whose two candidates answer with different models (none: the same)."""
    rows = []
    for path in paths:
        a = model_words(state_a.get(path) or {}, spec_model)
        b = model_words(state_b.get(path) or {}, spec_model)
        if a != b:
            rows.append({"step": path, "A answers with": a, "B answers with": b})
    return rows


def _cell(value: Any) -> str:
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


def demo_rows(
    demos: list[dict[str, Any]], inputs: list[str], labels: list[str], other: list[dict[str, Any]]
) -> list[dict[str, str]]:
    """A candidate's demos as table rows: each demo's input and its label (the expected output)
    side by side, who wrote it, and whether the other candidate shows it too. `inputs` and
    `labels` are the step's field names (empty: every field is shown as input)."""

    def key(demo: dict[str, Any]) -> tuple[str, ...]:
        return tuple(_cell(demo.get(name, "")) for name in inputs or sorted(demo))

    theirs = {key(d) for d in other}
    rows = []
    for demo in demos:
        shown = [n for n in inputs if n in demo] or [
            n for n in demo if n not in labels and n not in ("augmented", "reasoning")
        ]
        row = {"input": " | ".join(_cell(demo[n]) for n in shown)}
        row["label (expected output)"] = (
            ", ".join(_cell(demo[n]) for n in labels if n in demo) or "—"
        )
        row["from"] = (
            "the model's own right answer" if demo.get("augmented") else "copied from your rows"
        )
        row["in the other prompt"] = "yes" if key(demo) in theirs else "no, only here"
        rows.append(row)
    return rows


def spec_fields(spec: dict[str, Any], path: str) -> tuple[list[str], list[str]]:
    """(input names, output names) of the pipeline step that `path` names (the last step when
    no step matches, as a one-step pipeline's predictor path may differ from its step name)."""
    steps = spec.get("pipeline") or [{}]
    step = next((s for s in steps if s.get("name") and s.get("name") in path), steps[-1])
    fields = step.get("fields", [])
    return (
        [f["name"] for f in fields if f.get("role") == "input"],
        [f["name"] for f in fields if f.get("role") == "output"],
    )


def export_names(run_id: str, run: dict[str, Any], db: Any) -> dict[str, str]:
    """hash -> the candidate's name on the pages, for the results CSV."""

    cands, trial_rows = candidates(run_id, db_path=db), trials(run_id, db_path=db)
    baseline = runinfo.baseline_hash(run, cands, trial_rows)
    return candidate_labels(run, cands, trial_rows, baseline)
