"""Draft answers for the rows nobody has labelled yet, and which rows to label next.

A draft is the model's answer (the prompt in use, `labelling.prompt_in_use`, else the project's
untuned program), never a label: it waits in `drafts.csv` beside the project, keyed by the row's
inputs, until the person confirms or corrects it. A new draft that differs from the row's
earlier one keeps that one too: two drafts that disagree point at a row worth labelling.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from dashboard import home, state
from dashboard.project import labelling
from dashboard.project.csvio import parse_csv, to_csv_bytes
from engine.runs import build_program, predict_rows, predict_table, spec_from_dict

DRAFTS_FILE = "drafts.csv"
DRAFT_COLUMNS = ["key", "draft", "confidence", "earlier", "error", "source"]
SUGGEST = 10


def load(folder: Path | None) -> dict[str, dict[str, str]]:
    """key of a row's inputs -> its draft (draft, confidence, earlier, error, and source: the
    run whose prompt drafted it, or "" for the untuned prompt)."""
    path = None if folder is None else folder / DRAFTS_FILE
    if path is None or not path.is_file():
        return {}
    frame = parse_csv(path.read_bytes(), DRAFTS_FILE)
    rows = frame.to_dict("records")
    return {r["key"]: {c: str(r.get(c, "")) for c in DRAFT_COLUMNS} for r in rows}


@dataclass
class Drafted:
    rows: int
    calls: int
    failed: int
    stopped: str
    source: str  # which prompt drafted them, in words


def draft(
    positions: list[int], max_calls: int, progress: Callable[[int, int], None] | None = None
) -> Drafted:
    """Draft answers for these rows (positions in the data) and keep them in drafts.csv."""
    frame, folder = state.df(), state.project_dir()
    assert frame is not None and folder is not None
    inputs = labelling.input_columns()
    rows = [{c: str(frame.iloc[p][c]) for c in inputs} for p in positions]
    used = labelling.prompt_in_use()
    if used is not None:
        run_id, candidate = used
        result = predict_table(run_id, inputs, rows, db_path=home.db_path(), candidate=candidate,
                               max_calls=max_calls, progress=progress)  # fmt: skip
        source = f"the prompt in use (run {run_id[-6:]})"
    else:
        spec = spec_from_dict(state.draft(), folder)
        result = predict_rows(spec, build_program(spec), inputs, rows, db_path=home.db_path(),
                              max_calls=max_calls, progress=progress)  # fmt: skip
        source = "the untuned prompt"
    field = labelling.answer_field()
    name = field["name"] if field else ""
    column = result.outputs.get(name, name)
    error = result.header[-1]
    kept, drafted_by = load(folder), labelling.prompt_key()
    for row, out in zip(rows, result.rows, strict=True):
        key = labelling.key_of(row, inputs)
        if out.get(error, "").startswith("not run"):
            continue
        old = kept.get(key, {})
        new = str(out.get(column, ""))
        earlier = old.get("draft", "") if old.get("draft", "") not in ("", new) else ""
        sure = str(out.get(column + "_confidence", ""))
        kept[key] = {"key": key, "draft": new, "confidence": sure, "earlier": earlier,
                     "error": out.get(error, ""), "source": drafted_by}  # fmt: skip
    table = pd.DataFrame(list(kept.values()), columns=DRAFT_COLUMNS, dtype="string")
    (folder / DRAFTS_FILE).write_bytes(to_csv_bytes(table))
    return Drafted(len(rows), result.calls, result.failed, result.stopped, source)


def suggest(frame: pd.DataFrame, drafts: dict[str, dict[str, str]]) -> tuple[list[int], str]:
    """Up to SUGGEST unlabelled rows (positions) to label next, and why, in words: rows where
    two drafts disagree first, then rows the model could not answer, then the lowest
    confidence of a choice."""
    inputs = labelling.input_columns()
    done = labelling.labelled(frame)
    scored = []
    for pos in range(len(frame)):
        if done.iloc[pos]:
            continue
        found = drafts.get(labelling.key_of(frame.iloc[pos], inputs))
        if not found:
            continue
        if found["earlier"] and found["earlier"] != found["draft"]:
            scored.append((0, 0.0, pos))
        elif found["error"]:
            scored.append((1, 0.0, pos))
        elif found["confidence"]:
            scored.append((2, float(found["confidence"]), pos))
    picked = sorted(scored)[:SUGGEST]
    if not picked:
        return [], ""
    kinds = {kind for kind, _, _ in picked}
    reasons = []
    if 0 in kinds:
        reasons.append("two drafts disagree")
    if 1 in kinds:
        reasons.append("the model gave no usable answer")
    if 2 in kinds:
        top = max(sure for kind, sure, _ in picked if kind == 2)
        reasons.append(f"the model was least sure (at most {top:.0%} sure)")
    why = (
        f"Label these {len(picked)} next: " + "; ".join(reasons) + ". Your answer on such rows "
        "teaches the most."
    )
    return [pos for _, _, pos in picked], why


def to_draft(frame: pd.DataFrame, kept: dict[str, dict[str, str]]) -> list[int]:
    """Unlabelled rows (positions) with no draft from the prompt in use: first those with no
    draft at all, then those an earlier prompt drafted (drafting them again can show where two
    prompts disagree)."""
    inputs, done = labelling.input_columns(), labelling.labelled(frame)
    source = labelling.prompt_key()
    waiting = [p for p in range(len(frame)) if not done.iloc[p]]
    found = {p: kept.get(labelling.key_of(frame.iloc[p], inputs)) for p in waiting}
    return [p for p in waiting if not found[p]] + [
        p for p in waiting if found[p] and found[p]["source"] != source
    ]
