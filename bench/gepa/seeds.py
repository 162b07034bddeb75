"""All data seeds of the GEPA head-to-head together: per seed and pooled.

Reads the `--json` files that `gepa_vs_dspy.py` saved (one per data seed) and prints, per
setup, held-out accuracy and total wall time of each framework for each seed (or how DSPy
died), then pooled over the seeds where both completed: correct answers summed over the
held-out rows, wall time summed (the MIPROv2 bench's pooling, mipro_seeds.py).

    python -m bench.gepa.seeds /tmp/gepa_seed0.json /tmp/gepa_seed1.json [...] [--write]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bench.core.common import isolate_caches, write_section

isolate_caches()  # puts the project on sys.path, as the other bench scripts do

from bench.fewshot.report import TARGET_WALL_RATIO  # noqa: E402
from bench.gepa.report import loaded  # noqa: E402
from bench.mipro.seeds import summary  # noqa: E402


def learning_lines(files: list[Path]) -> list[str]:
    """Per seed and framework: did GEPA keep a rewritten instruction, and the zero-shot score
    next to the compiled one, so a held-out gap is not mistaken for what the search learned."""
    lines: list[str] = []
    any_kept = False
    for path in files:
        saved = json.loads(path.read_text())
        seed = saved["settings"].get("seed", path.stem)
        zero = [saved["outcomes"][i]["accuracy"] for i in saved["baselines"]]
        for i, o in enumerate(saved["outcomes"]):
            if i in saved["baselines"] or o.get("candidates") is None:
                continue
            kept = max(int(o["candidates"]) - 1, 0)
            any_kept = any_kept or kept > 0
            lines.append(
                f"- seed {seed}, {o['framework']} [{o['setup']}]: {kept} rewritten instruction(s)"
                f" kept; held-out {o['accuracy'] or 0:.1f}%"
                + (f" (Tunesmith zero-shot {zero[0]:.1f}%)" if zero else "")
            )
    if lines and not any_kept:
        lines.append(
            "\nNo rewrite was kept by either framework: with this model as its own reflection "
            "LM, no rewritten instruction beat its parent on a minibatch within the budget. "
            "The held-out gap is each framework's zero-shot program (Tunesmith's closed label "
            "replies against replies DSPy cannot parse); the wall ratio is what the same GEPA "
            "budget costs each."
        )
    return lines


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("files", type=Path, nargs="+", help="gepa_vs_dspy.py --json files")
    p.add_argument("--write", action="store_true", help="write the section in docs/BENCHMARKS.md")
    args = p.parse_args()
    table, checks = summary(args.files, load=loaded)
    print(table + "\n\n" + "\n".join(checks))
    if args.write:
        body = (
            "Every data seed's run of `bench/gepa/__main__.py` (sections above), side by side, "
            "then pooled over the seeds where both frameworks completed (correct held-out "
            "answers and wall time summed).\n\n"
            f"**Command:** `python -m bench.gepa.seeds {' '.join(map(str, args.files))}`\n\n"
            f"{table}\n\n### Target (total wall ≤ {TARGET_WALL_RATIO}× DSPy's at equal or "
            f"better held-out accuracy)\n\n"
            + "\n".join(checks)
            + "\n\n### What the search changed\n\n"
            + "\n".join(learning_lines(args.files))
        )
        write_section("gepa-seeds", "GEPA vs DSPy: all data seeds", body)


if __name__ == "__main__":
    main()
