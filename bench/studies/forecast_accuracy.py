"""How close the pre-flight forecast (likely LM calls and minutes) comes to what default runs spend.

Tunesmith only, no peer. The projects' default runs (`optimizer: auto`, the budget the
dashboard offers: `engine.runs.estimate.fitting_budget`) go one after another into ONE store, so
later forecasts read the speed and the share of the runs before them, as a user's store does.
For each run: the forecast made before it, what it spent, and the ratio.

    python -m bench.studies.forecast_accuracy --seeds 0 1 [--projects ...] [--data PATH]

Prints a markdown table (results in bench/results/forecast.md by hand).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.studies.keep_start_rule import PROJECTS, sms_project  # noqa: E402


def one_run(spec_path: Path, seed: int, store: Path) -> dict:
    from engine.runs import RunStore, create_run, load_spec, preflight
    from engine.runs.estimate import fitting_budget
    from engine.runs.process import run_worker

    spec = load_spec(spec_path)
    spec.data.seed = seed
    spec.optimizer.name, spec.optimizer.params = "auto", {}
    plan = preflight(spec, db_path=store)
    budget = fitting_budget(plan)
    spec.optimizer.budget.max_calls = budget["max_calls"]
    spec.optimizer.budget.max_minutes = budget["max_minutes"]
    forecast = plan["forecast"]
    run_id = create_run(spec, store)
    started = time.monotonic()
    status = run_worker(run_id, store)
    wall = time.monotonic() - started
    with RunStore(store) as db:
        usage = db.usage(run_id)
        run = db.get_run(run_id)
    return {
        "held_out": f"{_pct(run.get('test_baseline'))} -> {_pct(run.get('test_best'))}",
        "optimizer": plan["optimizer"],
        "status": status,
        "forecast_calls": forecast["calls"] + forecast["test_calls"],
        "calls": int(usage.get("uncached_calls") or 0),
        "forecast_seconds": forecast["seconds"],
        "calls_range": [n + forecast["test_calls"] for n in forecast["calls_range"]],
        "seconds_range": forecast["seconds_range"],
        "seconds": wall,
        "speed": forecast["speed"],
        "budget": budget,
    }


def _pct(score: float | None) -> str:
    return "-" if score is None else f"{100 * score:.0f}%"


def main() -> int:
    os.environ.setdefault("TUNESMITH_ALLOW_OUTSIDE_DATA", "1")  # banking77 reads shared data
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--projects", nargs="+", default=list(PROJECTS))
    parser.add_argument(
        "--data-seed",
        type=int,
        default=0,
        help="the generated spam/ham project's messages (0: the ones its levers were set on)",
    )
    parser.add_argument(
        "--keep", type=Path, help="keep the store in this folder (default: a temporary one)"
    )
    args = parser.parse_args()
    print(
        "| project | seed | optimizer | calls: forecast / actual | minutes: forecast / actual "
        "| inside the range: calls / minutes | budget | status | held-out | speed from |",
        flush=True,
    )
    print("|---|---|---|---|---|---|---|---|---|---|", flush=True)
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = args.keep or Path(tmp_dir)
        tmp.mkdir(parents=True, exist_ok=True)
        store = Path(tmp) / "runs.db"
        for seed in args.seeds:
            for name in args.projects:
                spec_path = PROJECTS[name] or sms_project(Path(tmp) / "sms", args.data_seed)
                try:
                    row = one_run(spec_path, seed, store)
                except Exception as exc:  # noqa: BLE001  (a missing data folder: say so, go on)
                    print(f"| {name} | {seed} | failed: {exc} | | | | | | | |", flush=True)
                    continue
                calls = f"{row['forecast_calls']} / {row['calls']} "
                calls += f"({row['forecast_calls'] / max(row['calls'], 1):.2f})"
                fmin, amin = row["forecast_seconds"] / 60, row["seconds"] / 60
                minutes = f"{fmin:.1f} / {amin:.1f} ({fmin / max(amin, 1e-9):.2f})"
                budget = f"{row['budget']['max_calls']} calls, {row['budget']['max_minutes']:g} min"
                inside = "/".join(
                    "yes" if low <= actual <= high else "no"
                    for (low, high), actual in (
                        (row["calls_range"], row["calls"]),
                        (row["seconds_range"], row["seconds"]),
                    )
                )
                print(
                    f"| {name} | {seed} | {row['optimizer']} | {calls} | {minutes} | {inside} "
                    f"| {budget} "
                    f"| {row['status']} | {row['held_out']} | {row['speed']} |",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
