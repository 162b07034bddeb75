"""The Compare page's matrix of rows × candidates beyond what it shows at once: which rows a
filter keeps, the hardest rows first, pages, the whole table as one HTML page (its CSV is the
engine's `matrix_csv`), and one
row in full (every output, the metric's reason, the prompt each candidate sends)."""

from __future__ import annotations

import html
from typing import Any

import pandas as pd

FILTERS = ("All", "Failures", "Differing", "All wrong")
PAGE_CELLS = 2000  # cells a page shows at most: a page stays quick to draw whatever the run


def kept(scores: pd.DataFrame, how: str) -> pd.Series:
    """Which rows a filter keeps: some candidate wrong ("Failures"), candidates scoring
    differently ("Differing"), every candidate wrong ("All wrong"), or all of them."""
    filled = scores.fillna(0)
    if how == "Failures":
        return filled.lt(1).any(axis=1)
    if how == "Differing":
        return scores.nunique(axis=1, dropna=False).gt(1)
    if how == "All wrong":
        return filled.le(0).all(axis=1)
    return pd.Series(True, index=scores.index)


def hardest_first(scores: pd.DataFrame) -> pd.Index:
    """The rows ordered by their mean score over the candidates shown, lowest first (ties keep
    the data's order)."""
    return scores.fillna(0).mean(axis=1).sort_values(kind="stable").index


def page_size(columns: int) -> int:
    """Rows a page holds for `columns` candidates (at least 20)."""
    return max(20, PAGE_CELLS // max(columns, 1))


def page(frame: pd.DataFrame, number: int, size: int) -> pd.DataFrame:
    """Page `number` (from 1) of `frame`, `size` rows a page."""
    start = (max(number, 1) - 1) * size
    return frame.iloc[start : start + size]


def pages(rows: int, size: int) -> int:
    return max(1, -(-rows // size))


_COLOURS = {"right": "#dcfce7", "partial": "#fef3c7", "wrong": "#fee2e2"}


def _shade(score: Any) -> str:
    if score is None or score != score:
        return ""
    kind = "right" if score >= 1 else "partial" if score > 0 else "wrong"
    return f' style="background:{_COLOURS[kind]}"'


def as_html(table: pd.DataFrame, scores: pd.DataFrame, title: str) -> str:
    """The table as one self-contained HTML page (no scripts, no outside files), each answer
    cell coloured by its score; every text is escaped."""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in table.columns)
    body = []
    for key, row in table.iterrows():
        cells = []
        for column, value in row.items():
            score = scores.at[key, column] if column in scores.columns else None
            cells.append(f"<td{_shade(score)}>{html.escape(str(value))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        '<!doctype html>\n<html><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>"
        "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top;"
        "white-space:pre-wrap;max-width:40em}th{background:#f4f4f8}"
        f"</style></head><body><h1>{html.escape(title)}</h1>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        "</body></html>\n"
    )


def sibling_bests(run: dict[str, Any], runs: list[dict[str, Any]]) -> dict[str, str]:
    """{"run id:hash": run id} for the best candidate of every other run of the same project
    (by name), newest first: prompts that may have been scored on the same rows."""
    return {
        f"{r['id']}:{r['best_candidate']}": r["id"]
        for r in runs
        if r["id"] != run["id"] and r.get("name") == run.get("name") and r.get("best_candidate")
    }


def row_detail(
    res: pd.DataFrame, example_id: str, order: list[str], labels: dict[str, str]
) -> list[dict[str, Any]]:
    """One row in full for each candidate in `order` that scored it: its name, score, every
    output, the metric's reason and the error, if any, and each step's reply as the model
    wrote it ([(step, text)], from the row's trace; none kept before replies were)."""
    found = []
    for h in order:
        hit = res[(res["candidate"] == h) & (res["example_id"] == example_id)]
        if hit.empty:
            continue
        r = hit.iloc[0]
        feedback, error, trace = r.get("feedback"), r.get("error"), r.get("trace")
        steps = trace if isinstance(trace, list) else []
        found.append({
            "candidate": h,
            "name": labels.get(h, h),
            "score": r["score"],
            "outputs": r["outputs"] if isinstance(r["outputs"], dict) else {},
            "why": feedback if isinstance(feedback, str) else "",
            "error": error if isinstance(error, str) else "",
            "replies": [(str(s.get("predictor", "")), s["reply"]) for s in steps
                        if isinstance(s, dict) and isinstance(s.get("reply"), str)],
        })  # fmt: skip
    return found
