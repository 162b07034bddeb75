"""Tables and the docs section of hosted_vs_dspy.py."""

from __future__ import annotations

from typing import Any

from _common import markdown_table, ratio

TITLE = "Hosted provider path: throughput vs DSPy (fake OpenAI-compatible server)"
KEY = "hosted"
NOTES = ""  # what the recorded run shows (written after reading it)
HEADER = (
    "limit", "work", "framework", "wall s", "calls", "calls/s", "mean conc.", "max conc.",
    "all slots busy", "idle slot-s", "429s", "retries", "unanswered", "score",
)  # fmt: skip


def medians(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per (limit, work, framework), the run with the median wall time (in first-seen order)."""
    groups: dict[tuple[Any, str, str], list[dict[str, Any]]] = {}
    for r in results:
        groups.setdefault((r["limit"], r["work"], r["framework"]), []).append(r)
    out = []
    for runs in groups.values():
        ordered = sorted(runs, key=lambda r: r["server"]["wall"])
        out.append(ordered[(len(ordered) - 1) // 2])
    return out


def _row(r: dict[str, Any]) -> list[str]:
    s = r["server"]
    retries = "?" if r["retries"] is None else str(r["retries"])
    score = f"{r['score']:.1f}%" + (" (crashed)" if r.get("error") else "")
    return [
        str(r["limit"]), r["work"], r["framework"], f"{s['wall']:.2f}", str(s["calls"]),
        f"{s['throughput']:.1f}", f"{s['mean_concurrency']:.2f}", str(s["max_concurrency"]),
        f"{100 * s['all_busy_share']:.0f}%", f"{s['idle_slot_seconds']:.1f}", str(s["rejected"]),
        retries, str(r["unanswered"]), score,
    ]  # fmt: skip


def results_table(results: list[dict[str, Any]]) -> str:
    """Every run, one row each."""
    return markdown_table(HEADER, [_row(r) for r in results])


def ratio_table(results: list[dict[str, Any]]) -> str:
    """Tunesmith / DSPy per (limit, work): wall time and throughput."""
    rows = []
    pairs: dict[tuple[Any, str], dict[str, dict[str, Any]]] = {}
    for r in results:
        pairs.setdefault((r["limit"], r["work"]), {})[r["framework"]] = r["server"]
    for (limit, work), by in pairs.items():
        ours, theirs = by.get("Tunesmith"), by.get("DSPy 3.4.1")
        if ours is None or theirs is None:
            continue
        rows.append([
            str(limit), work, ratio(ours["wall"], theirs["wall"]),
            ratio(ours["throughput"], theirs["throughput"]),
            f"{ours['mean_concurrency']:.2f} / {theirs['mean_concurrency']:.2f}",
        ])  # fmt: skip
    header = ("limit", "work", "wall T/D", "calls/s T/D", "mean conc. T / D")
    return markdown_table(header, rows)


def section(results: list[dict[str, Any]], settings: str, command: str, machine: str, day: str,
            notes: str) -> str:  # fmt: skip
    """The docs/BENCHMARKS.md section body."""
    return "\n\n".join([
        f"Run on {day}: {machine}.",
        f"```bash\n{command}\n```",
        settings,
        results_table(results),
        "Tunesmith / DSPy (below 1: Tunesmith faster; above 1 for calls/s: more throughput):",
        ratio_table(results),
        notes,
    ])  # fmt: skip
