"""The forecasts the current code makes for the runs of a kept forecast-accuracy store.

A change that alters only the forecast (not what a run does) can be checked without running
again: for each run of a store kept by `bench.studies.forecast_accuracy --keep DIR`, in the
order they ran, the store as it was before that run (the later runs taken out) is given to
`preflight` with the run's spec, and the forecast is set against the minutes the run took.
The earlier runs' stored estimates get the current code's `read_again` (what the estimate
would have recorded), so their measured speed is read as the current code reads it.

    python -m bench.studies.forecast_replay --store DIR

Prints a markdown table (results in bench/results/forecast.md by hand). It is not a check of
a change that makes runs behave differently: those need the runs again.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def _spec(row: sqlite3.Row) -> Any:
    from engine.runs.spec import spec_from_dict

    return spec_from_dict(json.loads(row["spec"]), base_dir=row["base_dir"])


def _store_before(source: Path, runs: list[sqlite3.Row], index: int, folder: Path) -> Path:
    """A copy of the store with only the runs before `runs[index]`, their estimates given the
    current code's `read_again`."""
    from engine.runs.estimate import preflight

    copy = folder / f"before-{index}.db"
    shutil.copyfile(source, copy)
    later = [row["id"] for row in runs[index:]]
    with sqlite3.connect(copy) as conn:
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
        for table in tables:
            columns = {c[1] for c in conn.execute(f"PRAGMA table_info({table})")}
            key = "id" if table == "runs" else "run_id" if "run_id" in columns else None
            if key:
                conn.executemany(f"DELETE FROM {table} WHERE {key} = ?", [(i,) for i in later])
        for row in runs[:index]:
            estimate = json.loads(row["estimate"])
            fresh = preflight(_spec(row), db_path=folder / "empty.db")["estimate"]
            estimate["read_again"] = fresh.get("read_again", 0)
            conn.execute(
                "UPDATE runs SET estimate = ? WHERE id = ?", (json.dumps(estimate), row["id"])
            )
    return copy


def replay(store: Path) -> list[dict[str, Any]]:
    """Each run of the store at `store` (a folder with runs.db), in the order they ran: its
    seed, the current code's `read_again` and forecast seconds, the seconds it took, and the
    forecast's speed source, cached calls and share source. A run that never ended (killed)
    is left out of the list but stays in the stores the later runs are forecast from. The
    store itself is not changed."""
    from engine.runs.estimate import preflight

    source = store / "runs.db"
    with sqlite3.connect(source) as conn:
        conn.row_factory = sqlite3.Row
        runs = conn.execute("SELECT * FROM runs ORDER BY created_at").fetchall()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for index, row in enumerate(runs):
            if row["finished_at"] is None:  # killed or still running: no minutes to set it against
                continue
            spec = _spec(row)
            plan = preflight(spec, db_path=_store_before(source, runs, index, folder))
            results.append({
                "seed": spec.data.seed,
                "read_again": plan["estimate"].get("read_again", 0),
                "forecast_seconds": plan["forecast"]["seconds"],
                "seconds": row["finished_at"] - row["started_at"],
                "speed": plan["forecast"]["speed"],
                "cached_calls": plan["forecast"]["cached_calls"],
                "share_source": plan["forecast"]["share_source"],
            })  # fmt: skip
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, required=True, help="a folder with runs.db")
    args = parser.parse_args(argv)
    print("| seed | read again (tokens' worth) | minutes: forecast / actual | speed from |")
    print("|---|---|---|---|")
    for run in replay(args.store):
        minutes, actual = run["forecast_seconds"] / 60, run["seconds"] / 60
        print(
            f"| {run['seed']} | {run['read_again']:,} | "
            f"{minutes:.1f} / {actual:.1f} ({minutes / actual:.2f}) | {run['speed']} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
