"""The signature-shape matrix at a glance: every optimizer's pooled row per case, read from the
shapes sections `shapes_vs_dspy.py --write` put in docs/BENCHMARKS.md (no model call).

    python bench/shapes_summary.py          # print the table
    python bench/shapes_summary.py --write  # replace the `shapes-summary` section
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from pathlib import Path

from _common import DOCS, markdown_table, write_section

SECTIONS = {  # section key -> optimizer, in the order the table lists them
    "shapes": "BootstrapFewShotWithRandomSearch",
    "shapes-mipro": "MIPROv2 (light)",
    "shapes-copro": "COPRO",
    "shapes-simba": "SIMBA",
    "shapes-gepa": "GEPA",
    "shapes-knn": "KNNFewShot",
    "shapes-bootstrap": "BootstrapFewShot",
    "shapes-labeled": "LabeledFewShot",
}
POOLED_HEADER = "| case | seeds | held-out T / D |"
TARGET = "Every case of every optimizer at total wall time ≤ 0.3× DSPy's, at equal or better"


@dataclass
class Cell:
    """One pooled row of a shapes section."""

    case: str
    ratio: str
    verdict: str  # "yes", or "no (wall)", "no (acc)", "no (wall, acc)"
    held_out: str

    @property
    def meets(self) -> bool:
        return self.verdict == "yes"

    def text(self) -> str:
        if self.meets:
            return f"{self.ratio} ✓"
        why = self.verdict.removeprefix("no").strip(" ()")
        return f"{self.ratio} ✗ ({why})"


def section_text(key: str, doc: str) -> str | None:
    found = re.search(
        rf"<!-- bench:{re.escape(key)}:begin -->(.*?)<!-- bench:{re.escape(key)}:end -->",
        doc,
        re.DOTALL,
    )
    return found.group(1) if found else None


def pooled_cells(section: str) -> list[Cell]:
    """The rows of the section's first pooled table."""
    lines = section.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith(POOLED_HEADER)), None)
    if start is None:
        return []
    header = [c.strip() for c in lines[start].strip("|").split("|")]
    cells = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        values = dict(zip(header, (c.strip() for c in line.strip("|").split("|")), strict=False))
        cells.append(
            Cell(
                case=values["case"].split(" ")[0],
                ratio=values["wall ratio"],
                verdict=values["≤ 0.3×?"],
                held_out=values["held-out T / D"],
            )
        )
    return cells


def summary(doc: str) -> tuple[str, int, int]:
    """(markdown body, cells meeting the target, cells)."""
    by_optimizer = {}
    for key, name in SECTIONS.items():
        section = section_text(key, doc)
        if section is not None:
            by_optimizer[name] = {c.case: c for c in pooled_cells(section)}
    cases = list(dict.fromkeys(case for cells in by_optimizer.values() for case in cells))
    rows, met, total = [], 0, 0
    for name, cells in by_optimizer.items():
        meets = sum(c.meets for c in cells.values())
        met, total = met + meets, total + len(cells)
        row = [name, *(cells[c].text() if c in cells else "not run" for c in cases)]
        rows.append([*row, f"{meets} of {len(cells)}"])
    table = markdown_table(["optimizer", *cases, "meet"], rows)
    body = "\n\n".join(
        [
            f"{TARGET} held-out accuracy pooled over the data seeds. Each cell is the pooled row "
            "of that optimizer's section below (Tunesmith / DSPy total wall time; ✓ meets, "
            "✗ misses on wall time, held-out accuracy or both); the section has the command, "
            "the seeds, the time split and why a miss misses, with its next lever. Rebuilt "
            "from those sections by `python bench/shapes_summary.py --write` (no model call). "
            "A ratio shown as 0.30× is on one side of the line or the other by its unrounded "
            "value (the wall seconds in its section).",
            table,
            f"**{met} of {total} cells meet the target.** Where long_input misses, the reads "
            'each algorithm cannot skip are set against the target in "The long_input floor, '
            'per optimizer" (the random search section).',
        ]
    )
    return body, met, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="replace the docs section")
    parser.add_argument("--doc", type=Path, default=DOCS)
    args = parser.parse_args()
    body, _, _ = summary(args.doc.read_text())
    if args.write:
        write_section("shapes-summary", "Signature-shape matrix: every optimizer at a glance", body,
                      args.doc)  # fmt: skip
    else:
        print(body)


if __name__ == "__main__":
    main()
