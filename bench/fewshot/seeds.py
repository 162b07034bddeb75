"""All data seeds of the few-shot head-to-head together: per seed and pooled.

Reads the `--json` files that `python -m bench.fewshot` saved (one per data seed) and prints, per
optimizer, held-out accuracy and total wall time for each seed, then pooled over the seeds:
correct answers summed over every held-out row, wall time summed. Pooling is the fairer read of
accuracy: with 40 validation rows, which candidate wins is partly luck, so one seed can swing
by several points either way.

    python -m bench.fewshot.seeds /tmp/seed0.json /tmp/seed1.json [...] [--write]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from bench.core.common import (
    isolate_caches,
    markdown_table,
    ran_at,
    ratio,
    results_file,
    write_section,
)

isolate_caches()  # puts the project on sys.path, as the other bench scripts do

from bench.core.h2h_report import TARGET_WALL_RATIO  # noqa: E402
from bench.core.parsing import peer_of, row_stats  # noqa: E402


def pairs_of(saved: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    outcomes = saved["outcomes"]
    return [(outcomes[a], outcomes[b]) for a, b in saved["pairs"]]


def total_wall(outcome: dict[str, Any]) -> float:
    return outcome["compile"]["wall"] + outcome["evaluate"]["wall"]


def summary(files: list[Path]) -> str:
    """Markdown: one row per (optimizer, seed), then a pooled row per optimizer."""
    rows: list[list[object]] = []
    pooled: dict[tuple[str, str], dict[str, float]] = {}
    for path in files:
        saved = json.loads(path.read_text())
        seed, test_size = saved["settings"]["seed"], saved["sizes"][2]
        for ours, theirs in pairs_of(saved):
            name, peer = ours["optimizer"], peer_of(theirs)
            diff = ours["accuracy"] - theirs["accuracy"]
            wall = ratio(total_wall(ours), total_wall(theirs))
            stats = row_stats(theirs.get("rows", []))
            rows.append(
                [
                    name,
                    peer,
                    seed,
                    f"{ours['accuracy']:.1f}%",
                    f"{theirs['accuracy']:.1f}%",
                    "—" if stats is None else f"{stats.unparsed}/{stats.rows}",
                    f"{diff:+.1f} pts",
                    f"{total_wall(ours):.0f} / {total_wall(theirs):.0f}",
                    wall,
                ]
            )
            acc = pooled.setdefault(
                (name, peer),
                {"ours": 0, "theirs": 0, "rows": 0, "t": 0, "d": 0, "unparsed": 0, "marked": 0},
            )
            if stats is not None:
                acc["unparsed"] += stats.unparsed
                acc["marked"] += stats.rows
            acc["ours"] += ours["accuracy"] * test_size / 100
            acc["theirs"] += theirs["accuracy"] * test_size / 100
            acc["rows"] += test_size
            acc["t"] += total_wall(ours)
            acc["d"] += total_wall(theirs)
    rows.sort(key=lambda r: (str(r[0]), str(r[1]), r[2]))
    for (name, peer), acc in pooled.items():
        ours, theirs = 100 * acc["ours"] / acc["rows"], 100 * acc["theirs"] / acc["rows"]
        marked = int(acc["marked"])
        rows.append(
            [
                f"**{name}, pooled**",
                peer,
                "all",
                f"{ours:.1f}%",
                f"{theirs:.1f}%",
                f"{int(acc['unparsed'])}/{marked}" if marked else "—",
                f"{ours - theirs:+.1f} pts",
                f"{acc['t']:.0f} / {acc['d']:.0f}",
                ratio(acc["t"], acc["d"]),
            ]
        )
    header = [
        "optimizer",
        "DSPy configuration",
        "data seed",
        "Tunesmith held-out",
        "DSPy held-out",
        "DSPy held-out rows unparsed",
        "difference",
        "total wall s (T / D)",
        "T/D",
    ]
    return markdown_table(header, rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", type=Path, nargs="+", help="python -m bench.fewshot --json files")
    parser.add_argument("--write", action="store_true", help="write bench/results/fewshot.md")
    args = parser.parse_args()
    if args.write:
        ran_at()  # refused from uncommitted code
    table = summary(args.files)
    print(table)
    if args.write:
        files = " ".join(str(p) for p in args.files)
        body = (
            "Every data seed's run above, side by side, then pooled: correct answers summed over "
            "all held-out rows, wall time summed. Target: total wall ≤ "
            f"{TARGET_WALL_RATIO}× DSPy's at equal or better held-out accuracy.\n\n"
            f"**Command:** `python -m bench.fewshot.seeds {files} --write` (each file is the "
            "`--json` output of `python -m bench.fewshot` named in that seed's section)\n\n"
            f"{table}"
        )
        write_section(
            "fewshot-seeds", "Few-shot head-to-head: all data seeds", body, results_file("fewshot")
        )


if __name__ == "__main__":
    main()
