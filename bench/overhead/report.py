"""The overhead bench's report: markdown tables, target checks and the results section."""

from __future__ import annotations

import argparse

from bench.core.common import command_line, machine, markdown_table, median, quantile, ratio, today
from bench.overhead.measure import FLOOR, Row

TARGET_OVERHEAD_RATIO = 0.5
TARGET_CACHE_HIT_US = 50.0


# -- report ----------------------------------------------------------------------------------
def overhead_table(rows: list[Row]) -> str:
    """Per scenario: each runner's median/p90 µs and Tunesmith's ratio to it."""
    table = []
    ours: dict[str, float] = {}
    for scenario, label, samples in rows:
        if label == "Tunesmith":
            ours[scenario] = median(samples)
    for scenario, label, samples in rows:
        med = median(samples)
        mark = "" if label in ("Tunesmith", FLOOR) else ratio(ours[scenario], med)
        table.append([scenario, label, f"{med:.1f}", f"{quantile(samples, 0.9):.1f}", mark or "—"])
    header = ["scenario", "runner", "median µs/call", "p90 µs/call", "Tunesmith / this"]
    return markdown_table(header, table)


def cache_table(rows: list[Row]) -> str:
    """Per scenario and level (LM, module): each runner's median/p90 µs and Tunesmith / DSPy."""
    table = []
    by_key = {(scenario, label): samples for scenario, label, samples in rows}
    for scenario, label, samples in rows:
        level, who = label.split(": ")
        mark = "—"
        if who == "DSPy":
            mark = ratio(median(by_key[(scenario, f"{level}: Tunesmith")]), median(samples))
        table.append(
            [
                scenario,
                level,
                who,
                f"{median(samples):.1f}",
                f"{quantile(samples, 0.9):.1f}",
                mark,
            ]
        )
    header = ["scenario", "level", "runner", "median µs", "p90 µs", "Tunesmith / DSPy"]
    return markdown_table(header, table)


def verdict(direct: list[Row], via: list[Row], hits: list[Row]) -> list[str]:
    """Target checks: overhead ≤ 0.5× DSPy's (best DSPy path), cache hit ≤ 50 µs."""
    lines = []
    for group in (direct, via):
        scenarios = sorted({row[0] for row in group})
        for scenario in scenarios:
            meds = {lab: median(s) for sc, lab, s in group if sc == scenario}
            ours = meds.pop("Tunesmith")
            base = meds.pop(FLOOR, 0.0)
            best = min(meds.values())
            r = ours / best
            ok = "meets" if r <= TARGET_OVERHEAD_RATIO else "MISSES"
            line = (
                f"- {scenario}: Tunesmith {ours:.1f} µs vs fastest DSPy path {best:.1f} µs "
                f"= {r:.2f}× ({ok} the ≤ {TARGET_OVERHEAD_RATIO}× target)"
            )
            if base and min(ours, best) <= base:
                line += (
                    f"; the litellm floor ({base:.0f} µs) is not below both medians in this run, "
                    "so the time above it is within the floor's own spread: not measured"
                )
            elif base:
                line += (
                    f"; above the litellm floor ({base:.0f} µs): Tunesmith {ours - base:.0f} µs "
                    f"vs DSPy {best - base:.0f} µs = {ratio(ours - base, best - base)}"
                )
            lines.append(line)
    for scenario, label, samples in hits:
        if label == "LM: Tunesmith":  # the target is about `LM(...)(messages=...)` hits
            med = median(samples)
            ok = "meets" if med <= TARGET_CACHE_HIT_US else "MISSES"
            lines.append(
                f"- {scenario} (LM level): Tunesmith {med:.1f} µs "
                f"({ok} the ≤ {TARGET_CACHE_HIT_US:.0f} µs target)"
            )
    return lines


def doc_body(
    args: argparse.Namespace, overhead_md: str, cache_md: str, checks: list[str], profile_md: str
) -> str:
    """The results section: what is measured, command, machine, tables, targets."""
    profile = f"\n### Where Tunesmith's time goes\n\n{profile_md}\n" if profile_md else ""
    targets = (
        f"Targets (Tunesmith overhead ≤ {TARGET_OVERHEAD_RATIO}× DSPy's fastest path; "
        f"cache hit ≤ {TARGET_CACHE_HIT_US:.0f} µs)"
    )
    return f"""
**What is measured.** Framework time per call, with an LM that answers instantly with a fixed,
valid chat-adapter response (so no model time at all): prompt building, the LM layer,
bookkeeping (history, usage), parsing and casting. Two module shapes, `Predict("question ->
answer")` and a typed signature (2 inputs incl. a `list[str]`, outputs `Literal`, `int`,
`bool`). *direct*: no litellm; Tunesmith uses an `LM` subclass overriding `_complete`; DSPy
3.4.1 is measured both as a `BaseLM` subclass overriding `forward` (legacy plugin path) and as
`dspy.LM(engine=<custom engine>)` (the 3.4 canonical `complete(Request) -> Response` path).
*via litellm*: both call `litellm.completion` with an instant `litellm.CustomLLM` registered as
provider `instant` (DSPy with `engine="litellm"`), so litellm's own cost is included; the
"floor" row is a bare `litellm.completion` call to the same provider, which neither framework
can go below. Cache is
off in both. *Cache hit*: the same request repeated with the cache on (Tunesmith's memory LRU;
DSPy's memory LRU in front of diskcache, `DSPY_CACHEDIR` in a fresh temp dir), at the LM level
(`lm(messages=...)`) and the module level. {args.calls} timed calls per runner and scenario, in
{args.rounds} alternating blocks after {args.warmup} warm-up calls each; one process.

**Command:** `{command_line()}`

**Machine:** {machine()}. **Date:** {today()}.

### Per-call overhead (cache off)

{overhead_md}

### Cache hit

{cache_md}

### {targets}

{chr(10).join(checks)}
{profile}"""
