"""A run's rows × candidates as CSV: each scored row's inputs and expected answer, then each
candidate's answer, score and the metric's reason, side by side, and after them any results
from elsewhere (a model of the run's leaderboard) (the Compare page's matrix, and
`python -m engine matrix`)."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from engine.core import TunesmithError
from engine.optimizers.spine import example_id
from engine.runs.data import load_data
from engine.runs.export._files import SafeWriter, _cell, _keys, run_spec, stored_run
from engine.runs.store import RunStore


def matrix_candidates(
    run: dict[str, Any], trials: list[dict[str, Any]], subset: str, top: int | None
) -> list[str]:
    """The start and the run's best (the default), or the `top` candidates by their first
    score on `subset`, best first."""
    first: dict[str, float] = {}
    for t in trials:
        if t["subset"] == subset and t["score"] is not None:
            first.setdefault(t["candidate"], float(t["score"]))
    if top is not None:
        return sorted(first, key=lambda h: -first[h])[: max(top, 1)]
    start = next(iter(first), None)
    return [h for h in dict.fromkeys([start, run.get("best_candidate")]) if h in first]


def other_run_results(
    key: str, subset: str, ids: set[str], db_path: str | Path | None = None
) -> list[dict[str, Any]]:
    """The results of the candidate `key` ("run id:hash", another run's) on its `subset` rows,
    only on the rows `ids` (this run's), that candidate renamed `key`: a column beside this
    run's candidates. Empty when it was scored on none of those rows."""
    other, _, hash_ = key.partition(":")
    with RunStore(db_path) as store:
        found = store.example_results(other, subset=subset)
    return [{**r, "candidate": key} for r in found
            if r["candidate"] == hash_ and r["example_id"] in ids]  # fmt: skip


def expected_labels(run: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """example id -> its labels, read again from the run's data ({} when the data moved)."""
    try:
        split = load_data(run_spec(run))
    except Exception:  # noqa: BLE001  (the data moved: the matrix goes on without expected values)
        return {}
    return {example_id(e): dict(e.labels().items()) for e in split.train + split.val + split.test}


def matrix_csv(
    run_id: str,
    db_path: str | Path | None = None,
    candidates: Sequence[str] | None = None,
    top: int | None = None,
    subset: str = "val",
    names: Mapping[str, str] | None = None,
    rows: Sequence[str] | None = None,
    extra: Sequence[Mapping[str, Any]] = (),
) -> str:
    """The matrix as CSV (every cell neutralised against formulas). `candidates` are hashes
    of this run (default: `matrix_candidates`); `extra` are results shaped as the store's,
    each column named by its `candidate` (e.g. "on <model>"), after the candidates; `rows` are
    example ids, in the order wanted (default: every row scored, in the data's order)."""
    run = stored_run(run_id, db_path)
    with RunStore(db_path) as store:
        trials = store.trials(run_id)
        results = [*store.example_results(run_id, subset=subset), *extra]
        if names is None:
            names = {c["hash"]: c.get("origin") or c["hash"] for c in store.candidates(run_id)}
    scored = {r["candidate"] for r in results}
    if not scored:
        raise TunesmithError(f"run {run_id} has no rows scored on its {subset} rows")
    chosen = list(candidates or matrix_candidates(run, trials, subset, top))
    chosen += [h for h in dict.fromkeys(r["candidate"] for r in extra) if h not in chosen]
    missing = [h for h in chosen if h not in scored]
    if missing:
        raise TunesmithError(
            f"run {run_id} has no candidate {missing[0]!r} scored on its {subset} rows "
            f"(its candidates there: {', '.join(sorted(scored))})"
        )
    by_row: dict[str, dict[str, dict[str, Any]]] = {}
    order: dict[str, int] = {}
    for r in results:
        by_row.setdefault(r["example_id"], {})[r["candidate"]] = r
        order.setdefault(r["example_id"], r["idx"])
    ids = list(rows) if rows is not None else sorted(order, key=order.__getitem__)
    expected = expected_labels(run)
    input_keys = _keys(next(iter(by_row[i].values()))["inputs"] for i in ids if i in by_row)
    label_keys = _keys(expected.get(i) for i in ids)
    out = io.StringIO()
    writer = SafeWriter(out)
    writer.writerow(["example_id", *input_keys, *[f"expected.{k}" for k in label_keys],
                     *[f"{names.get(h, h)}: {part}" for h in chosen
                       for part in ("answer", "score", "why")]])  # fmt: skip
    for i in ids:
        found = by_row.get(i, {})
        inputs = (next(iter(found.values()))["inputs"] if found else None) or {}
        cells: list[Any] = [i, *[_cell(inputs.get(k)) for k in input_keys],
                            *[_cell(expected.get(i, {}).get(k)) for k in label_keys]]  # fmt: skip
        for h in chosen:
            r = found.get(h)
            if r is None:
                cells += ["", "", "not scored"]
                continue
            outputs = r["outputs"] or {}
            answer = "; ".join(f"{k}: {_cell(v)}" for k, v in outputs.items() if k != "reasoning")
            cells += [answer, r["score"], r.get("feedback") or r["error"] or ""]
        writer.writerow(cells)
    return out.getvalue()
