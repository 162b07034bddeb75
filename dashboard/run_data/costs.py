"""Cost against score: each candidate's validation score beside what it spends a row (tokens,
dollars for priced models, seconds), the candidates no other beats on both (the Pareto front),
and the cheapest candidate within some points of the best."""

from __future__ import annotations

from typing import Any

import pandas as pd

COLUMNS = ["candidate", "score", "tokens", "dollars", "seconds", "rows"]


def candidate_costs(
    trials: list[dict[str, Any]], parents: dict[str, list[str]] | None = None, subset: str = "val"
) -> pd.DataFrame:
    """One row per candidate scored on `subset`: its first score there (the one the search
    ranked it by), and what 1,000 rows cost it there, from its trials that called the model
    afresh for every row (a cached call spends nothing, and a call the model answered right
    after the same prompt may report only what it did not reuse): tokens, dollars and seconds.
    A candidate without such a trial sent its parent's prompts (a calibration, a rescoring),
    and is priced and timed at its nearest ancestor's, from `parents`. Dollars are None when no call
    reported a price (a local or unpriced model)."""
    sums: dict[str, dict[str, float]] = {}
    first: dict[str, float] = {}
    for t in trials:
        if t["subset"] != subset or t["score"] is None or not t.get("n"):
            continue
        first.setdefault(t["candidate"], float(t["score"]))
        usage = t.get("usage") or {}
        s = sums.setdefault(t["candidate"], dict.fromkeys(
            ("tokens", "cost", "calls", "fresh", "rows", "seconds", "timed"), 0.0))  # fmt: skip
        calls, fresh = float(usage.get("calls") or 0), float(usage.get("uncached_calls") or 0)
        s["calls"] += calls
        s["rows"] += t["n"]
        if not calls or fresh != calls:  # some rows came from the cache: priced elsewhere
            continue
        s["tokens"] += float(usage.get("tokens") or 0)
        s["cost"] += float(usage.get("cost") or 0)
        s["fresh"] += fresh
        if t.get("wall_time"):
            s["seconds"], s["timed"] = s["seconds"] + float(t["wall_time"]), s["timed"] + t["n"]
    rows = []
    for h, s in sums.items():
        priced = _priced(h, sums, parents or {})  # a call's own cost, the cache set aside
        # calls a row takes: its own, or (a rescoring that called nothing) its ancestor's
        per_row = s if s["calls"] or priced is None else priced
        calls_per_row = per_row["calls"] / per_row["rows"]
        timed = s if s["timed"] else priced if priced and priced["timed"] else None  # likewise
        rows.append({
            "candidate": h, "score": first[h],
            "tokens": 1000 * calls_per_row * priced["tokens"] / priced["fresh"] if priced else None,
            "dollars": 1000 * calls_per_row * priced["cost"] / priced["fresh"]
            if priced and priced["cost"] else None,
            "seconds": 1000 * timed["seconds"] / timed["timed"] if timed else None,
            "rows": int(s["rows"]),
        })  # fmt: skip
    return pd.DataFrame(rows, columns=COLUMNS)


def _priced(
    h: str, sums: dict[str, dict[str, float]], parents: dict[str, list[str]]
) -> dict[str, float] | None:
    """The sums of `h` or of its nearest ancestor that called the model at least once."""
    seen: set[str] = set()
    while h not in seen:
        seen.add(h)
        if sums.get(h, {}).get("fresh"):
            return sums[h]
        up = parents.get(h) or []
        if not up:
            return None
        h = up[0]
    return None


def cost_column(costs: pd.DataFrame) -> str:
    """What a candidate's cost is counted in: dollars when every candidate has a price, else
    tokens."""
    return "dollars" if not costs.empty and costs["dollars"].notna().all() else "tokens"


def pareto_front(costs: pd.DataFrame, cost: str) -> pd.Series:
    """True for each candidate no other beats on both: at least as high a score for no more
    cost, and strictly better on one of them."""

    def beaten(row: pd.Series) -> bool:
        others = costs[costs["candidate"] != row["candidate"]]
        at_least = (others["score"] >= row["score"]) & (others[cost] <= row[cost])
        better = (others["score"] > row["score"]) | (others[cost] < row[cost])
        return bool((at_least & better).any())

    return costs.apply(lambda row: not beaten(row), axis=1).astype(bool)


def cheapest_within(costs: pd.DataFrame, cost: str, points: float) -> str | None:
    """The cheapest candidate whose score is within `points` (percentage points) of the best
    score; among equally cheap ones, the higher score."""
    if costs.empty:
        return None
    near = costs[costs["score"] >= costs["score"].max() - points / 100 - 1e-9]
    pick = near.sort_values([cost, "score"], ascending=[True, False], kind="stable")
    return str(pick.iloc[0]["candidate"])
