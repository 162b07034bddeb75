"""All data seeds of the GEPA head-to-head together: per seed and pooled.

Reads the `--json` files that `python -m bench.gepa` saved (one per data seed) and prints, per
setup, held-out accuracy and total wall time of each framework for each seed (or how DSPy
died), then pooled over the seeds where both completed: correct answers summed over the
held-out rows, wall time summed (bench/core/seeds.py, shared with MIPROv2).

    python -m bench.gepa.seeds /tmp/gepa_seed0.json /tmp/gepa_seed1.json [...] [--write]
"""

from __future__ import annotations

import json
from pathlib import Path

from bench.core.common import isolate_caches

isolate_caches()  # puts the project on sys.path, as the other bench scripts do

from bench.core.seeds import seeds_main  # noqa: E402
from bench.gepa.report import loaded  # noqa: E402


def learning_lines(files: list[Path]) -> list[str]:
    """Per seed and framework: did GEPA keep a rewritten instruction, and the zero-shot score
    next to the compiled one, so a held-out gap is not mistaken for what the search learned."""
    lines: list[str] = []
    any_kept = False
    moved: list[str] = []  # Tunesmith's held-out change with no rewrite kept, per seed
    for path in files:
        saved = json.loads(path.read_text())
        seed = saved["settings"].get("seed", path.stem)
        zero = [
            saved["outcomes"][i]["accuracy"]
            for i in saved["baselines"]
            if saved["outcomes"][i]["framework"] == "Tunesmith"
        ]
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
            if o["framework"] == "Tunesmith" and zero and not kept and o["accuracy"] != zero[0]:
                moved.append(f"{zero[0]:.1f}% → {o['accuracy'] or 0:.1f}% on seed {seed}")
    if lines and not any_kept:
        lines.append(
            "\nNo rewrite was kept by either framework: with this model as its own reflection "
            "LM, no rewritten instruction beat its parent on a minibatch within the budget. "
            + (
                "Tunesmith's held-out score still moved with its instruction unchanged ("
                + ", ".join(moved)
                + "): that is the choice calibration every Tunesmith compile ends with "
                "(engine/optimizers/spine/_post_compile.py), not GEPA's search. The rest of "
                "the gap is each framework's zero-shot program"
                if moved
                else "The held-out gap is each framework's zero-shot program"
            )
            + " (Tunesmith's closed label replies against replies DSPy cannot parse); the wall "
            "ratio is what the same GEPA budget costs each."
        )
    return lines


def what_changed(files: list[Path]) -> str:
    return "\n\n### What the search changed\n\n" + "\n".join(learning_lines(files))


if __name__ == "__main__":
    seeds_main(__doc__, "gepa", "GEPA vs DSPy: all data seeds", loaded, what_changed)
