"""All data seeds of a setup family's head-to-head (MIPROv2, GEPA) together: per seed and pooled.

Reads the `--json` files the family's entry saved (one per data seed) and prints, per setup,
held-out accuracy and total wall time of each framework for each seed (or how DSPy died), then
pooled over the seeds where both completed: correct answers summed over the held-out rows, wall
time summed.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.core.common import markdown_table, ran_at, ratio, results_file, write_section
from bench.core.h2h_report import TARGET_WALL_RATIO
from bench.core.parsing import row_stats, unparsed_cell

HEADER = [
    "setup",
    "DSPy run",
    "data seed",
    "Tunesmith held-out",
    "DSPy held-out",
    "DSPy held-out rows unparsed",
    "Tunesmith total wall s",
    "DSPy total wall s",
    "wall ratio T/D",
]


def cell(o: Any) -> str:
    if o.failed:
        return f"died after {o.compile.calls} calls"
    return f"{o.accuracy:.1f}%"


def summary(files: list[Path], load: Callable[..., Any]) -> tuple[str, list[str]]:
    """Markdown table (a row per setup and seed, a pooled row per setup) and target lines;
    `load` reads a saved file's outcomes (the family report's `loaded`)."""
    rows: list[list[object]] = []
    pooled: dict[tuple[str, str], dict[str, float]] = {}
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
                    theirs.framework,
                    seed,
                    cell(ours),
                    cell(theirs),
                    "—" if theirs.failed else unparsed_cell(theirs.rows),
                    f"{ours.total_wall:.0f}",
                    f"{theirs.total_wall:.0f}",
                    ratio(ours.total_wall, theirs.total_wall) if both else "n/a (DSPy died)",
                ]
            )
            if both:
                assert ours.accuracy is not None and theirs.accuracy is not None
                p = pooled.setdefault(
                    (ours.setup, theirs.framework),
                    dict.fromkeys(("n", "ok_t", "ok_d", "w_t", "w_d", "u_d", "marked"), 0),
                )
                stats = row_stats(theirs.rows)
                if stats is not None:
                    p["u_d"] += stats.unparsed
                    p["marked"] += stats.rows
                p["n"] += n_test
                p["ok_t"] += round(ours.accuracy * n_test / 100)
                p["ok_d"] += round(theirs.accuracy * n_test / 100)
                p["w_t"] += ours.total_wall
                p["w_d"] += theirs.total_wall
    checks = []
    for (setup, peer), p in pooled.items():
        acc_t, acc_d = 100 * p["ok_t"] / p["n"], 100 * p["ok_d"] / p["n"]
        unparsed = (
            f"{int(p['u_d'])}/{int(p['marked'])} ({100 * p['u_d'] / p['marked']:.0f}%)"
            if p["marked"]
            else "—"
        )
        rows.append(
            [
                f"**{setup}, pooled**",
                peer,
                "all",
                f"{acc_t:.1f}%",
                f"{acc_d:.1f}%",
                unparsed,
                f"{p['w_t']:.0f}",
                f"{p['w_d']:.0f}",
                ratio(p["w_t"], p["w_d"]),
            ]
        )
        wall = p["w_t"] / p["w_d"]
        ok = wall <= TARGET_WALL_RATIO and acc_t >= acc_d
        checks.append(
            f"- [{setup}] vs {peer}, pooled: held-out {acc_t:.1f}% vs {acc_d:.1f}% over "
            f"{int(p['n'])} rows; "
            f"total wall {wall:.2f}× → {'meets' if ok else 'MISSES'}"
        )
    return markdown_table(HEADER, rows), checks


def seeds_main(
    doc: str,
    family: str,
    title: str,
    load: Callable[..., Any],
    extra: Callable[[list[Path]], str] = lambda files: "",
) -> None:
    """The command line of `python -m bench.<family>.seeds FILE... [--write]`."""
    p = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    p.add_argument("files", type=Path, nargs="+", help=f"python -m bench.{family} --json files")
    p.add_argument("--write", action="store_true", help=f"write bench/results/{family}.md")
    args = p.parse_args()
    if args.write:
        ran_at()  # refused from uncommitted code
    table, checks = summary(args.files, load=load)
    print(table + "\n\n" + "\n".join(checks))
    if args.write:
        body = (
            f"Every data seed's run of `python -m bench.{family}` (sections above), side by "
            "side, then pooled over the seeds where both frameworks completed (correct held-out "
            "answers and wall time summed).\n\n"
            f"**Command:** `python -m bench.{family}.seeds {' '.join(map(str, args.files))}`\n\n"
            f"{table}\n\n### Target (total wall ≤ {TARGET_WALL_RATIO}× DSPy's at equal or "
            f"better held-out accuracy)\n\n" + "\n".join(checks) + extra(args.files)
        )
        write_section(f"{family}-seeds", title, body, results_file(family))
