"""The signature-shape matrix at a glance: every optimizer's pooled row per case, read from the
results files `python -m bench.shapes --write` writes (bench/results/shapes-<optimizer>.md; no
model call); `--write` replaces its section in docs/BENCHMARKS.md.

    python -m bench.shapes.summary          # print the table
    python -m bench.shapes.summary --write  # replace the `shapes-summary` section
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from bench.core.common import (
    DOCS,
    markdown_table,
    ran_at,
    read_section,
    results_file,
    write_section,
)
from bench.shapes.report import MAIN_HEADER, OPTIMIZER_NAMES, results_name, section_key

RANDOM_SEARCH = "BootstrapFewShotWithRandomSearch"  # the default optimizer's row
OPTIMIZERS = ["random_search", *OPTIMIZER_NAMES]  # the rows, in this order
# rows of a Tunesmith option DSPy does not have: shown, but not counted against the target
OPTION_ROWS = {"knn_once"}
CASE, RATIO, VERDICT = MAIN_HEADER[0], MAIN_HEADER[-2], MAIN_HEADER[-1]
TARGET = "Every case of every optimizer at total wall time ≤ 0.3× DSPy's, at equal or better"


@dataclass
class Cell:
    """One pooled row of a shapes section."""

    case: str
    ratio: str
    verdict: str  # "yes", or "no (wall)", "no (acc)", "no (wall, acc)"

    @property
    def meets(self) -> bool:
        return self.verdict == "yes"

    def text(self) -> str:
        if self.meets:
            return f"{self.ratio} ✓"
        why = self.verdict.removeprefix("no").strip(" ()")
        return f"{self.ratio} ✗ ({why})"


def pooled_cells(section: str) -> list[Cell]:
    """The rows of the section's pooled table (the one `shapes_report.main_table` writes)."""
    lines = section.splitlines()
    heading = "| " + " | ".join(MAIN_HEADER) + " |"
    start = next((i for i, line in enumerate(lines) if line == heading), None)
    if start is None:
        return []
    cells = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        values = dict(
            zip(MAIN_HEADER, (c.strip() for c in line.strip("|").split("|")), strict=False)
        )
        cells.append(Cell(values[CASE].split(" ")[0], values[RATIO], values[VERDICT]))
    return cells


def results_text(optimizer: str) -> str:
    """The optimizer's results file, or "" when it has none."""
    path = results_file(results_name(optimizer))
    return path.read_text() if path.exists() else ""


def summary(texts: dict[str, str]) -> str:
    """The section's markdown body: one row per optimizer whose results text (`texts`, by
    optimizer) has its section."""
    by_optimizer, options, weights = {}, set(), {}
    for optimizer in OPTIMIZERS:
        section = read_section(section_key(optimizer), texts.get(optimizer, ""))
        if section is not None:
            name = OPTIMIZER_NAMES.get(optimizer, RANDOM_SEARCH)
            by_optimizer[name] = {c.case: c for c in pooled_cells(section)}
            weights[name] = "Q8_0" if ".Q8_0.gguf`" in section else "Q4_1"
            if optimizer in OPTION_ROWS:
                options.add(name)
    cases = list(dict.fromkeys(case for cells in by_optimizer.values() for case in cells))
    rows, met, total, option_counts = [], 0, 0, []
    for name, cells in by_optimizer.items():
        meets = sum(c.meets for c in cells.values())
        if name in options:
            option_counts.append(f"{name} {meets} of {len(cells)}")
        else:
            met, total = met + meets, total + len(cells)
        row = [name, weights[name], *(cells[c].text() if c in cells else "not run" for c in cases)]
        rows.append([*row, f"{meets} of {len(cells)}"])
    counted = f"**{met} of {total} cells meet the target.**"
    if option_counts:
        counted += (
            " Rows of an option DSPy does not have are shown but not counted ("
            + "; ".join(option_counts)
            + ")."
        )
    table = markdown_table(["optimizer", "weights", *cases, "meet"], rows)
    body = "\n\n".join(
        [
            f"{TARGET} held-out accuracy pooled over the data seeds. Each cell is the pooled row "
            "of that optimizer's results file, bench/results/shapes-<optimizer>.md (Tunesmith / "
            "DSPy total wall time; ✓ meets, "
            "✗ misses on wall time, held-out accuracy or both); the section has the command, "
            "the seeds, the time split and why a miss misses, with its next lever. Rebuilt "
            "from those files by `python -m bench.shapes.summary --write` (no model call). "
            "A ratio shown as 0.30× is on one side of the line or the other by its unrounded "
            "value (the wall seconds in its section). Weights: the embedded model's weights "
            "file in that section's runs (Q8_0, the default since 687ec10, or the shipped "
            "Q4_1); both frameworks ran the same ones.",
            table,
            f"{counted} Each cell that misses has a line in "
            '"The cells that miss: why, and the next lever" (below this section); where '
            "long_input misses, the reads each algorithm cannot skip are set against the "
            'target in "The long_input floor, per optimizer" '
            "(bench/results/shapes-random_search.md).",
        ]
    )
    return body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="replace the docs section")
    parser.add_argument("--doc", type=Path, default=DOCS, help="the page with the section")
    args = parser.parse_args()
    if args.write:
        ran_at()  # refused from uncommitted code
    body = summary({optimizer: results_text(optimizer) for optimizer in OPTIMIZERS})
    if args.write:
        write_section("shapes-summary", "Signature-shape matrix: every optimizer at a glance", body,
                      args.doc)  # fmt: skip
    else:
        print(body)


if __name__ == "__main__":
    main()
