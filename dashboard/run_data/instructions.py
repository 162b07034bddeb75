"""Shapes an instruction optimizer's run for the Run page: the proposed-instructions table and
the instruction × demo-set score grid. Pure functions over the store's rows (no Streamlit)."""

from __future__ import annotations

from collections import defaultdict
from statistics import mean
from typing import Any

from dashboard.glossary import dropped_replies, plain_drop
from engine.runs import latest_proposals, locate, percent

FULL_SUBSETS = ("val", "full")


def _choices(
    events: list[dict[str, Any]], candidates: list[dict[str, Any]]
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, tuple[int | None, int | None]]]]:
    proposals = latest_proposals(events)
    located = {c["hash"]: locate(c.get("state") or {}, proposals) for c in candidates}
    return proposals, located


def _pct(score: Any) -> str:
    return percent(float(score or 0))


def _verdict(
    done: list[dict[str, Any]], chosen: bool, chosen_score: float | None, val_n: int, final: bool
) -> str:
    """Why an instruction was kept or lost, from its trials and the chosen prompt's score."""
    if chosen:
        return "kept: the chosen prompt uses it" if final else "in the best prompt so far"
    if not done:
        return (
            "never tried: the search ended before it came up" if final else "not tried yet"
        )
    full = [t for t in done if t["subset"] in FULL_SUBSETS]
    whole = [t for t in full if (t.get("n") or 0) >= val_n]
    if whole:
        best = max(t["score"] or 0 for t in whole)
        if chosen_score is None:
            return f"{_pct(best)} on all the validation rows"
        if best >= chosen_score:
            return (
                f"as good as the chosen prompt ({_pct(best)}) on the same validation rows; "
                "a tie goes to the one found first"
            )
        return (
            f"lost: {_pct(best)} on the validation rows, the chosen prompt "
            f"{_pct(chosen_score)} on the same rows"
        )
    if full:
        stopped = max(full, key=lambda t: t["score"] or 0)
        return (
            f"stopped early after {stopped.get('n')} of {val_n} validation rows "
            f"({_pct(stopped['score'])}): it could no longer beat the best"
        )
    mini = mean(t["score"] or 0 for t in done)
    return (
        f"lost on samples: {_pct(mini)} on samples of the rows, never high enough to be "
        "scored on all the validation rows"
    )


def proposals_table(
    events: list[dict[str, Any]],
    candidates: list[dict[str, Any]],
    trials: list[dict[str, Any]],
    best: str | None = None,
    final: bool = True,
) -> list[dict[str, Any]]:
    """One row per proposed instruction per predictor: predictor, #, instruction, origin,
    trials (how often tried), minibatch (mean score), full (best full-validation score), and
    result: why it was kept or lost against `best` (the run's chosen candidate; `final`: the
    run has ended). Replies dropped before any scoring follow, with "#" empty and the reason
    (stores from before the replies were recorded: one row with the counts)."""
    proposals, located = _choices(events, candidates)
    tried: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
    for trial in trials:
        for predictor, (instruction, _) in located.get(trial["candidate"], {}).items():
            if instruction is not None:
                tried[(predictor, instruction)].append(trial)
    full_trials = [t for t in trials if t["subset"] in FULL_SUBSETS]
    val_n = max((t.get("n") or 0 for t in full_trials), default=0)
    if best is None and full_trials:
        best = max(full_trials, key=lambda t: t["score"] or 0)["candidate"]
    best_scores = [t["score"] or 0 for t in full_trials if t["candidate"] == best]
    best_score = max(best_scores) if best_scores else None
    rows = []
    for predictor, offered in proposals.items():
        chosen = located.get(best or "", {}).get(predictor, (None, None))[0]
        for item in offered.get("instructions", []):
            done = tried.get((predictor, item["index"]), [])
            mini = [t["score"] for t in done if t["subset"] == "minibatch"]
            full = [t["score"] for t in done if t["subset"] in FULL_SUBSETS]
            rows.append(
                {
                    "predictor": predictor,
                    "#": item["index"],
                    "instruction": item["text"],
                    "origin": item.get("origin", ""),
                    "trials": len(done),
                    "minibatch": mean(mini) if mini else None,
                    "full": max(full) if full else None,
                    "result": _verdict(
                        done, item["index"] == chosen, best_score, val_n, final
                    ),
                }
            )
        rows += _dropped_rows(predictor, offered)
    return rows


def _dropped_rows(predictor: str, offered: dict[str, Any]) -> list[dict[str, Any]]:
    """The replies the proposer dropped, each with its reason: the `proposals` event's
    `rejected` (older stores: cleaning's record, or only its counts)."""
    cleaning = offered.get("cleaning") or {}
    rejected = offered.get("rejected", cleaning.get("rejected"))
    return [
        {
            "predictor": predictor, "#": None, "instruction": reply,
            "origin": "dropped", "trials": 0, "minibatch": None, "full": None,
            "result": f"dropped before scoring: {plain_drop(why)}",
        }
        for reply, why in dropped_replies(rejected, cleaning.get("dropped"))
    ]  # fmt: skip


def score_grid(
    events: list[dict[str, Any]],
    candidates: list[dict[str, Any]],
    trials: list[dict[str, Any]],
    predictor: str,
) -> tuple[list[int], list[int], list[list[float | None]]]:
    """(instruction indexes, demo set indexes, mean score per cell) for one predictor, over all
    its trials (minibatch and full). Without demo sets there is one column, index -1."""
    proposals, located = _choices(events, candidates)
    offered = proposals.get(predictor, {})
    rows = [i["index"] for i in offered.get("instructions", [])]
    cols = [d["index"] for d in offered.get("demo_sets", [])] or [-1]
    cells: dict[tuple[int, int], list[float]] = defaultdict(list)
    for trial in trials:
        if trial["subset"] not in ("minibatch", *FULL_SUBSETS):
            continue
        instruction, demo_set = located.get(trial["candidate"], {}).get(predictor, (None, None))
        if instruction is None:
            continue
        cells[(instruction, demo_set if demo_set is not None else -1)].append(trial["score"])
    grid = [[mean(cells[(r, c)]) if cells.get((r, c)) else None for c in cols] for r in rows]
    return rows, cols, grid
