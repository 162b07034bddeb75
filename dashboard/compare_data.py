"""Data for the Compare page: candidate labels, per-example results as a matrix, the paired CI."""

from __future__ import annotations

from typing import Any

import pandas as pd

from dashboard import home


def candidate_labels(
    run: dict[str, Any],
    cands: list[dict[str, Any]],
    trials: list[dict[str, Any]],
    baseline: str | None,
) -> dict[str, str]:
    """hash -> 'Best — bootstrap seed 2 (75%)' for candidates that were scored."""
    val_score = {}
    for t in trials:
        if t["subset"] == "val":
            val_score.setdefault(t["candidate"], t["score"])
    labels = {}
    number = 0
    for c in cands:
        h = c["hash"]
        if h not in {t["candidate"] for t in trials}:
            continue
        number += 1
        score = f" ({100 * val_score[h]:.0f}%)" if h in val_score else ""
        if h == baseline and h == run.get("best_candidate"):
            name = "Baseline, kept as the best — no candidate beat your prompt"
        elif h == baseline:
            name = "Baseline — your prompt as written"
        elif h == run.get("best_candidate"):
            name = f"Best — {c.get('origin', '')}"
        else:
            name = f"Candidate {number} — {c.get('origin', '')}"
        labels[h] = name + score
    return labels


def expected_labels(run: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """example_id -> labels, recomputed from the run's data (empty if the data is gone)."""
    try:
        from engine import example_id
        from engine.runs import load_data, spec_from_dict

        split = load_data(spec_from_dict(run["spec"], run.get("base_dir")))
        return {
            example_id(e): dict(e.labels().items()) for e in split.train + split.val + split.test
        }
    except Exception:  # noqa: BLE001  (the data file moved: show results without expected values)
        return {}


def results(run_id: str, subset: str) -> pd.DataFrame:
    """One row per (candidate, example) evaluated on `subset`."""
    from engine.runs import example_results

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


def failure_text(error: Any, detail: bool = False) -> str:
    """How a failed row reads in a table: 'constraint failed' (with `detail`, its message) when
    an Assert in the program did not hold, else 'no valid answer'."""
    from engine.runs import CONSTRAINT_FAILED, is_constraint_failure

    if not is_constraint_failure(error):
        return "no valid answer"
    return str(error)[:100] if detail else CONSTRAINT_FAILED


def constraint_failures(res: pd.DataFrame, order: list[str]) -> dict[str, int]:
    """hash -> rows failed by an Assert, for the candidates in `order` that have any."""
    from engine.runs import is_constraint_failure

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
    """(table of inputs/expected/answers per candidate, matching table of scores).

    When the metric explained its scores, each candidate's column is followed by
    "<candidate> · why" with the metric's feedback on that row."""
    if res.empty:
        return pd.DataFrame(), pd.DataFrame()
    res = res[res["candidate"].isin(order)]
    explained = "feedback" in res.columns and res["feedback"].notna().any()
    examples = res.drop_duplicates("example_id").sort_values("idx")
    table, scores = [], []
    for _, ex in examples.iterrows():
        inputs = ex["inputs"] or {}
        row = {"example": " | ".join(str(v) for v in inputs.values())[:120]}
        exp = expected.get(ex["example_id"], {})
        row["expected"] = ", ".join(str(exp[k]) for k in label_fields if k in exp) or "—"
        srow = {}
        for h in order:
            hit = res[(res["candidate"] == h) & (res["example_id"] == ex["example_id"])]
            short = labels.get(h, h).split(" — ")[0]
            if hit.empty:
                row[short], srow[short] = "not scored", None
                if explained:
                    row[why_column(short)] = ""
                continue
            r = hit.iloc[0]
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
    return pd.DataFrame(table), pd.DataFrame(scores)


def paired(res: pd.DataFrame, a: str, b: str) -> dict[str, Any] | None:
    """paired_comparison(B - A) over the examples both were scored on."""
    from engine.runs import paired_comparison

    if res.empty:
        return None
    sa = res[res["candidate"] == a].set_index("example_id")["score"]
    sb = res[res["candidate"] == b].set_index("example_id")["score"]
    common = [i for i in sa.index if i in sb.index]
    if not common:
        return None
    return paired_comparison(
        [float(sa[i] or 0) for i in common], [float(sb[i] or 0) for i in common]
    )


def offset_rows(step_state: dict[str, Any]) -> list[dict[str, Any]]:
    """A step's fitted choice offsets (`engine.optimizers.calibration._choices`) as table rows:
    output, value, and the shift taken off the model's score for that value."""
    return [
        {"output": field, "value": value, "shift": round(float(offset), 2)}
        for field, values in (step_state.get("choice_offsets") or {}).items()
        for value, offset in values.items()
    ]


def same_instruction_note(step_a: dict[str, Any], step_b: dict[str, Any]) -> str:
    """What to say when two candidates' instructions for a step are identical: where the
    difference is (demos, calibrated choices), or that there is none in this step."""
    differs = {
        "the examples (demos)": (step_a.get("demos") or []) != (step_b.get("demos") or []),
        "the calibrated choices": (step_a.get("choice_offsets") or {})
        != (step_b.get("choice_offsets") or {}),
    }
    where = [name for name, changed in differs.items() if changed]
    if not where:
        return "The instructions are identical, and so is everything else in this step."
    return f"The instructions are identical; the difference is in {' and '.join(where)} below."
