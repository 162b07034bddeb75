"""All data seeds of the MIPROv2 head-to-head together: per seed and pooled.

Reads the `--json` files that `mipro_vs_dspy.py` saved (one per data seed) and prints, per
setup, held-out accuracy and total wall time of each framework for each seed (or how DSPy
died), then pooled over the seeds where both completed: correct answers summed over the
held-out rows, wall time summed.

    python -m bench.mipro.seeds /tmp/mipro_seed0.json /tmp/mipro_seed1.json [...] [--write]
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.core.common import isolate_caches, markdown_table, ratio, write_section

isolate_caches()  # puts the project on sys.path, as the other bench scripts do

from bench.fewshot.report import TARGET_WALL_RATIO  # noqa: E402
from bench.mipro.records import MiproOutcome  # noqa: E402
from bench.mipro.report import loaded  # noqa: E402

HEADER = [
    "setup",
    "data seed",
    "Tunesmith held-out",
    "DSPy held-out",
    "Tunesmith total wall s",
    "DSPy total wall s",
    "wall ratio T/D",
]


def cell(o: MiproOutcome) -> str:
    if o.failed:
        return f"died after {o.compile.calls} calls"
    return f"{o.accuracy:.1f}%"


def summary(files: list[Path], load: Callable[..., Any] = loaded) -> tuple[str, list[str]]:
    """Markdown table (a row per setup and seed, a pooled row per setup) and target lines;
    `load` reads a saved file's outcomes (the GEPA bench passes its own)."""
    rows: list[list[object]] = []
    pooled: dict[str, dict[str, float]] = {}
    described: dict[str, str] = {}
    for path in files:
        saved = json.loads(path.read_text())
        _, _, pairs, setups = load(saved)
        for s in setups:
            if described.setdefault(s.key, s.describe()) != s.describe():
                raise SystemExit(f"{path}: setup {s.key!r} differs from the first file's")
        seed, n_test = saved["settings"]["seed"], saved["sizes"][2]
        for ours, theirs in pairs:
            both = not ours.failed and not theirs.failed
            rows.append(
                [
                    ours.setup,
                    seed,
                    cell(ours),
                    cell(theirs),
                    f"{ours.total_wall:.0f}",
                    f"{theirs.total_wall:.0f}",
                    ratio(ours.total_wall, theirs.total_wall) if both else "n/a (DSPy died)",
                ]
            )
            if both:
                assert ours.accuracy is not None and theirs.accuracy is not None
                p = pooled.setdefault(
                    ours.setup, dict.fromkeys(("n", "ok_t", "ok_d", "w_t", "w_d"), 0)
                )
                p["n"] += n_test
                p["ok_t"] += round(ours.accuracy * n_test / 100)
                p["ok_d"] += round(theirs.accuracy * n_test / 100)
                p["w_t"] += ours.total_wall
                p["w_d"] += theirs.total_wall
    checks = []
    for setup, p in pooled.items():
        acc_t, acc_d = 100 * p["ok_t"] / p["n"], 100 * p["ok_d"] / p["n"]
        rows.append(
            [
                f"**{setup}, pooled**",
                "all",
                f"{acc_t:.1f}%",
                f"{acc_d:.1f}%",
                f"{p['w_t']:.0f}",
                f"{p['w_d']:.0f}",
                ratio(p["w_t"], p["w_d"]),
            ]
        )
        wall = p["w_t"] / p["w_d"]
        ok = wall <= TARGET_WALL_RATIO and acc_t >= acc_d
        checks.append(
            f"- [{setup}] pooled: held-out {acc_t:.1f}% vs {acc_d:.1f}% over {int(p['n'])} rows; "
            f"total wall {wall:.2f}× → {'meets' if ok else 'MISSES'}"
        )
    return markdown_table(HEADER, rows), checks


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("files", type=Path, nargs="+", help="mipro_vs_dspy.py --json files")
    p.add_argument("--write", action="store_true", help="write the section in docs/BENCHMARKS.md")
    args = p.parse_args()
    table, checks = summary(args.files)
    print(table + "\n\n" + "\n".join(checks))
    if args.write:
        body = (
            "Every data seed's run of `bench/mipro/__main__.py` (sections above), side by side, "
            "then pooled over the seeds where both frameworks completed (correct held-out "
            "answers and wall time summed).\n\n"
            f"**Command:** `python -m bench.mipro.seeds {' '.join(map(str, args.files))}`\n\n"
            f"{table}\n\n### Target (total wall ≤ {TARGET_WALL_RATIO}× DSPy's at equal or "
            f"better held-out accuracy)\n\n" + "\n".join(checks)
        )
        write_section("mipro-seeds", "MIPROv2 vs DSPy: all data seeds", body)


if __name__ == "__main__":
    main()
