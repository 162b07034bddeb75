"""Tables from the proposer-yield study's records (bench/studies/proposer_yield.py --jsonl):
per run, per (project, optimizer, version) over the seeds, and the paired 95% intervals of
held-out differences (after - before on the tuned programs, tuned - start within a version),
pooled over the seeds' test rows.

    python -m bench.studies.proposer_yield_report bench/results/proposer-yield-runs.jsonl
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from engine.evaluate.statistics import paired_comparison

Key = tuple[str, str, str]  # project, optimizer, version
NEWER = ("after", "fixed")  # the versions compared with "before"


def load(path: Path) -> list[dict[str, Any]]:
    """The records, the last one kept for each (version, project, optimizer, seed)."""
    latest: dict[tuple, dict[str, Any]] = {}
    for line in path.read_text().splitlines():
        if line.strip():
            row = json.loads(line)
            latest[(row["version"], row["project"], row["optimizer"], row["seed"])] = row
    return list(latest.values())


def _ran(row: dict[str, Any]) -> bool:
    """Finished, or stopped by its budget (what it found still counts; start = tuned)."""
    return str(row.get("status", "")).startswith(("finished", "stopped"))


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _interval(comparison: dict[str, Any]) -> str:
    points = 100 * comparison["diff"]
    low, high = 100 * comparison["ci_low"], 100 * comparison["ci_high"]
    return f"{points:+.1f} [{low:+.1f}, {high:+.1f}] (n={comparison['n']})"


def run_table(rows: list[dict[str, Any]]) -> list[str]:
    """One line per run."""
    out = [
        "| project | optimizer | seed | version | wanted | distinct offered (model + template) "
        "| proposer calls | kept (GEPA) | held-out start -> tuned | seconds | status |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    order = sorted(rows, key=lambda r: (r["project"], r["optimizer"], r["seed"], r["version"]))
    for r in order:
        test = r.get("test") or [None, None]
        kept = "" if r.get("kept") is None else r["kept"]
        out.append(
            f"| {r['project']} | {r['optimizer']} | {r['seed']} | {r['version']} "
            f"| {r.get('wanted', '')} | {r.get('offered', '')} ({r.get('by_model', '')} + "
            f"{r.get('templates', '')}) | {r.get('proposer_calls', '')} | {kept} "
            f"| {_pct(test[0])} -> {_pct(test[1])} | {r.get('seconds', '')} | {r['status']} |"
        )
    return out


def _pooled(pairs: list[tuple[dict[str, float], dict[str, float]]]) -> dict[str, Any] | None:
    """paired_comparison over the rows both sides scored, all pairs together."""
    first: list[float] = []
    second: list[float] = []
    for a, b in pairs:
        shared = sorted(set(a) & set(b))
        first += [a[i] for i in shared]
        second += [b[i] for i in shared]
    return paired_comparison(first, second, seed=0) if first else None


def summary_table(rows: list[dict[str, Any]]) -> list[str]:
    """One line per (project, optimizer, version): totals over its seeds that ran."""
    groups: dict[Key, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        if _ran(r):
            groups[(r["project"], r["optimizer"], r["version"])].append(r)
    out = [
        "| project | optimizer | version | seeds | distinct offered / wanted | by template "
        "| kept (GEPA) | held-out start -> tuned (mean) | tuned - start, 95% interval (points) "
        "| mean seconds |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for (project, optimizer, version), group in sorted(groups.items()):
        wanted = sum(r.get("wanted") or 0 for r in group)
        offered = sum(r.get("offered") or 0 for r in group)
        templates = sum(r.get("templates") or 0 for r in group)
        kept = "" if optimizer != "GEPA" else str(sum(r.get("kept") or 0 for r in group))
        start = sum(r["test"][0] or 0 for r in group) / len(group)
        tuned = sum(r["test"][1] or 0 for r in group) / len(group)
        gain = _pooled([(r["test_rows"]["start"], r["test_rows"]["tuned"]) for r in group
                        if r.get("test_rows")])  # fmt: skip
        seconds = sum(r["seconds"] for r in group) / len(group)
        seeds = ",".join(str(r["seed"]) for r in sorted(group, key=lambda r: r["seed"]))
        out.append(
            f"| {project} | {optimizer} | {version} | {seeds} | {offered} / {wanted} "
            f"| {templates} | {kept} | {_pct(start)} -> {_pct(tuned)} "
            f"| {_interval(gain) if gain else '—'} | {seconds:.0f} |"
        )
    return out


def difference_table(rows: list[dict[str, Any]]) -> list[str]:
    """after (or fixed) - before on the tuned programs' held-out rows: per seed, and pooled."""
    by_key = {(r["version"], r["project"], r["optimizer"], r["seed"]): r for r in rows
              if _ran(r) and r.get("test_rows")}  # fmt: skip
    out = [
        "| project | optimizer | version | seeds | version - before, tuned, 95% interval "
        "(points) |",
        "|---|---|---|---|---|",
    ]
    cells = sorted({(p, o) for (_, p, o, _) in by_key})
    for (project, optimizer), newer in itertools.product(cells, NEWER):
        seeds = sorted({s for (v, p, o, s) in by_key if (p, o) == (project, optimizer)})
        pairs = {}
        for seed in seeds:
            before = by_key.get(("before", project, optimizer, seed))
            after = by_key.get((newer, project, optimizer, seed))
            if before and after:
                pairs[seed] = (before["test_rows"]["tuned"], after["test_rows"]["tuned"])
        head = f"| {project} | {optimizer} | {newer}"
        for seed, pair in pairs.items():
            comparison = _pooled([pair])
            if comparison:
                out.append(f"{head} | {seed} | {_interval(comparison)} |")
        if len(pairs) > 1:
            comparison = _pooled(list(pairs.values()))
            if comparison:
                listed = ",".join(str(s) for s in pairs)
                out.append(f"{head} | **{listed} pooled** | {_interval(comparison)} |")
    return out


def optimizer_table(rows: list[dict[str, Any]]) -> list[str]:
    """One line per optimizer and newer version (after, fixed) over every project and seed that
    ran in both it and before: distinct instructions offered / wanted and the runs short of N
    (per version), runs whose tuned held-out score went up / stayed / went down, newer - before
    pooled over all their test rows, and the mean seconds of each version."""
    by_key = {(r["version"], r["project"], r["optimizer"], r["seed"]): r for r in rows
              if _ran(r) and r.get("test_rows")}  # fmt: skip
    out = [
        "| optimizer | version | runs (project x seed) | distinct / wanted: before "
        "| runs short of N: before | distinct / wanted: version | runs short of N: version "
        "| tuned version vs before: up / same / down | version - before, pooled, 95% interval "
        "(points) | mean seconds before / version |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for optimizer, newer in itertools.product(sorted({o for (_, _, o, _) in by_key}), NEWER):
        ran = {(p, s) for (_, p, o, s) in by_key if o == optimizer}
        cells = sorted(
            (p, s) for p, s in ran
            if ("before", p, optimizer, s) in by_key and (newer, p, optimizer, s) in by_key
        )  # fmt: skip
        if not cells:
            continue
        pairs = [(by_key[("before", p, optimizer, s)], by_key[(newer, p, optimizer, s)])
                 for p, s in cells]  # fmt: skip
        yields = []
        for side in (0, 1):
            runs = [pair[side] for pair in pairs]
            offered = sum(r.get("offered") or 0 for r in runs)
            wanted = sum(r.get("wanted") or 0 for r in runs)
            short = sum(1 for r in runs if (r.get("offered") or 0) < (r.get("wanted") or 0))
            yields.append(f"{offered} / {wanted} | {short}")
        moves = [0, 0, 0]
        for before, after in pairs:
            b, a = before["test"][1] or 0.0, after["test"][1] or 0.0
            moves[0 if a > b else 1 if a == b else 2] += 1
        comparison = _pooled([(b["test_rows"]["tuned"], a["test_rows"]["tuned"]) for b, a in pairs])
        seconds = [sum(pair[side]["seconds"] for pair in pairs) / len(pairs) for side in (0, 1)]
        out.append(
            f"| {optimizer} | {newer} | {len(pairs)} | {yields[0]} | {yields[1]} "
            f"| {moves[0]} / {moves[1]} / {moves[2]} "
            f"| {_interval(comparison) if comparison else '—'} "
            f"| {seconds[0]:.0f} / {seconds[1]:.0f} |"
        )
    return out


def gepa_table(rows: list[dict[str, Any]]) -> list[str]:
    """GEPA per run: rewrites the reflections were asked for (N), instructions they wrote,
    distinct texts among those, by the model / by template, children kept on the minibatch."""
    out = [
        "| project | seed | version | rewrites asked (N) | written | distinct | by model "
        "| by template | kept | held-out start -> tuned | seconds | status |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    gepa = [r for r in rows if r["optimizer"] == "GEPA"]
    for r in sorted(gepa, key=lambda r: (r["project"], r["seed"], r["version"])):
        test = r.get("test") or [None, None]
        out.append(
            f"| {r['project']} | {r['seed']} | {r['version']} | {r.get('wanted', '')} "
            f"| {r.get('written', '')} | {r.get('offered', '')} | {r.get('by_model', '')} "
            f"| {r.get('templates', '')} | {r.get('kept', '')} "
            f"| {_pct(test[0])} -> {_pct(test[1])} | {r.get('seconds', '')} | {r['status']} |"
        )
    return out if gepa else []


def ties_table(rows: list[dict[str, Any]]) -> list[str]:
    """Do the search's candidates still tie? Per run (records that hold the search scores):
    validation trials, distinct scores among them, candidates that answered one raw label on
    every validation row, rows rescored by calibrated search."""
    out = [
        "| project | optimizer | seed | version | val trials | distinct val scores "
        "| one-label candidates | rows rescored | val scores |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    held = [r for r in rows if "val_scores" in r]
    for r in sorted(held, key=lambda r: (r["project"], r["optimizer"], r["seed"], r["version"])):
        scores = " ".join(f"{x:.2f}" for x in r["val_scores"])
        out.append(
            f"| {r['project']} | {r['optimizer']} | {r['seed']} | {r['version']} "
            f"| {len(r['val_scores'])} | {r['distinct_val_scores']} "
            f"| {r['one_label_candidates']} / {r['searched_candidates']} | {r['rescored_rows']} "
            f"| {scores} |"
        )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("records", type=Path)
    args = parser.parse_args()
    rows = load(args.records)
    blocks = [
        optimizer_table(rows), summary_table(rows), difference_table(rows), gepa_table(rows),
        ties_table(rows), run_table(rows),
    ]  # fmt: skip
    sys.stdout.write("\n\n".join("\n".join(block) for block in blocks if block) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
