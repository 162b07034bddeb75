"""What stopping on a plateau saves and what it costs: the default run of each generated
message set, once as it is and once with `optimizer.stop_when_flat`, same data, split and seed,
on the embedded model: LM calls the model answered, minutes, and held-out accuracy pooled.

    python -m bench.studies.plateau --sms-seeds 0 1 2 --window 6

Generator seeds 0-2 are tuning data (bench/DATA.md): a window chosen here is confirmed once on
seeds 5 and 6. Prints a markdown table (results in bench/results/plateau.md by hand).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def one_run(spec_path: Path, window: int | None, home: Path) -> dict:
    """One run in a process of its own with a home of its own (so its LM cache is its own)."""
    from engine.runs import RunStore, load_spec, save_spec

    spec = load_spec(spec_path)
    spec.optimizer.stop_when_flat = window
    copy = spec_path.with_name(f"{spec_path.stem}-{window or 'full'}.yaml")
    save_spec(spec, copy)
    store = home / "tunesmith_data" / "runs.db"
    env = {**os.environ, "TUNESMITH_HOME": str(home), "PYTHONPATH": str(ROOT)}
    start = time.monotonic()
    subprocess.run([sys.executable, "-m", "engine", "run", str(copy), "--db", str(store)],
                   env=env, cwd=ROOT, capture_output=True, text=True, check=False)  # fmt: skip
    minutes = (time.monotonic() - start) / 60
    with RunStore(store) as db:
        (run,) = db.list_runs()
        run, usage = db.get_run(run["id"]), db.usage(run["id"])
    n_test = (run.get("sizes") or {}).get("test") or 0
    return {
        "status": run["status"], "reason": run.get("reason") or "", "minutes": minutes,
        "calls": (usage.get("calls") or 0) - (usage.get("cache_hits") or 0),
        "right": round((run.get("test_best") or 0) * n_test), "n_test": n_test,
    }  # fmt: skip


def main() -> int:
    from bench.studies.keep_start_rule import sms_project

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sms-seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--window", type=int, default=6, help="stop_when_flat to try")
    args = parser.parse_args()
    rows = []
    for seed in args.sms_seeds:
        folder = Path(tempfile.mkdtemp(prefix=f"plateau-sms{seed}-"))
        spec_path = sms_project(folder, seed)
        full = one_run(spec_path, None, folder / "full")
        flat = one_run(spec_path, args.window, folder / "flat")
        rows.append((seed, full, flat))
        print(f"seed {seed}: {full} | {flat}", file=sys.stderr, flush=True)
    print(f"| generator seed | calls (full → window {args.window}) | minutes | held-out right |"
          " stopped early |\n|---|---|---|---|---|")  # fmt: skip
    for seed, full, flat in rows:
        early = "yes" if flat["reason"].startswith("stopped early") else "no"
        print(f"| {seed} | {full['calls']} → {flat['calls']} | {full['minutes']:.1f} → "
              f"{flat['minutes']:.1f} | {full['right']}/{full['n_test']} → "
              f"{flat['right']}/{flat['n_test']} | {early} |")  # fmt: skip
    totals = [sum(r[k][f] for r in rows) for k in (1, 2) for f in ("calls", "right", "n_test")]
    print(f"\nPooled: calls {totals[0]} → {totals[3]} ({totals[3] / max(totals[0], 1):.2f}×), "
          f"held-out right {totals[1]}/{totals[2]} → {totals[4]}/{totals[5]}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
