"""Shapes an instruction optimizer's run for the Run page: the proposed-instructions table and
the instruction × demo-set score grid. Pure functions over the store's rows (no Streamlit)."""

from __future__ import annotations

from collections import defaultdict
from statistics import mean
from typing import Any

from engine.runs import latest_proposals, locate

FULL_SUBSETS = ("val", "full")


def _choices(
    events: list[dict[str, Any]], candidates: list[dict[str, Any]]
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, tuple[int | None, int | None]]]]:
    proposals = latest_proposals(events)
    located = {c["hash"]: locate(c.get("state") or {}, proposals) for c in candidates}
    return proposals, located


def proposals_table(
    events: list[dict[str, Any]], candidates: list[dict[str, Any]], trials: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """One row per proposed instruction per predictor: predictor, #, instruction, origin,
    trials (how often tried), minibatch (mean score), full (best full-validation score)."""
    proposals, located = _choices(events, candidates)
    tried: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
    for trial in trials:
        for predictor, (instruction, _) in located.get(trial["candidate"], {}).items():
            if instruction is not None:
                tried[(predictor, instruction)].append(trial)
    rows = []
    for predictor, offered in proposals.items():
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
                }
            )
    return rows


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
