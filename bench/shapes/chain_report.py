"""The multi-step cases in the shape matrix's report: does the chain help, step by step.

Per multi-step case, pooled over the seeds where its chain and its one-step partner completed
in both frameworks (DSPy's default configuration): each program's held-out accuracy, the best
one-step program, each step's own held-out accuracy where it has a label, the compile wall
time, and issue 66's goal (Tunesmith's chain at least the best one-step program's accuracy, at
compile wall time ≤ 0.3× DSPy's chain).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from bench.core.common import markdown_table, ratio
from bench.shapes.cases import BY_NAME, ONE_STEP
from bench.shapes.died import completed

TARGET = 0.3
HEADER = ["program", "seeds", "chain T / D", "one step T / D", "best one step",
          "step accuracy T", "step accuracy D", "compile s T / D (chain)", "compile ratio",
          "goal met?"]  # fmt: skip


def is_chain(case: str) -> bool:
    return bool(BY_NAME[case].steps)


def chain_cases(legs: list[dict[str, Any]]) -> list[str]:
    seen = {leg["case"] for leg in legs}
    return [name for name in BY_NAME if name in seen and is_chain(name)]


def complete_seeds(legs: list[dict[str, Any]], case: str, frameworks: tuple[str, str]) -> list[int]:
    """The seeds where the chain `case` and its one-step partner completed in both frameworks."""
    done = defaultdict(set)
    for leg in completed(legs):
        done[leg["seed"]].add((leg["case"], leg["framework"]))
    need = {(name, fw) for name in (case, case + ONE_STEP) for fw in frameworks}
    return sorted(seed for seed, have in done.items() if need <= have)


def step_text(legs: list[dict[str, Any]]) -> str:
    """Each step's held-out accuracy averaged over `legs` ("—" for a step with no label)."""
    scores: dict[str, list[float]] = defaultdict(list)
    for leg in legs:
        for entry in leg.get("steps") or []:
            bucket = scores[entry["step"]]
            if entry["accuracy"] is not None:
                bucket.append(entry["accuracy"])
    return ", ".join(
        f"{step} {sum(s) / len(s):.1f}%" if s else f"{step} —" for step, s in scores.items()
    )


def chain_table(legs: list[dict[str, Any]], ours: str, theirs: str) -> str:
    """One row per multi-step case (see the module's docstring)."""
    rows = []
    for case in chain_cases(legs):
        seeds = complete_seeds(legs, case, (ours, theirs))
        if not seeds:
            rows.append([case, 0, "not completed in both frameworks"] + [""] * 7)
            continue

        def pick(name: str, fw: str) -> list[dict[str, Any]]:
            return [g for g in completed(legs) if g["case"] == name and g["framework"] == fw
                    and g["seed"] in seeds]  # fmt: skip

        def mean(name: str, fw: str) -> float:
            chosen = pick(name, fw)
            return sum(g["accuracy"] for g in chosen) / len(chosen)

        chain_t, chain_d = mean(case, ours), mean(case, theirs)
        one_t, one_d = mean(case + ONE_STEP, ours), mean(case + ONE_STEP, theirs)
        best = max(one_t, one_d)
        wall_t = sum(g["compile_wall"] for g in pick(case, ours))
        wall_d = sum(g["compile_wall"] for g in pick(case, theirs))
        rows.append([
            f"{case} ({BY_NAME[case].shape})", len(seeds), f"{chain_t:.1f}% / {chain_d:.1f}%",
            f"{one_t:.1f}% / {one_d:.1f}%", f"{best:.1f}% ({'T' if one_t >= one_d else 'D'})",
            step_text(pick(case, ours)), step_text(pick(case, theirs)),
            f"{wall_t:.1f} / {wall_d:.1f}", ratio(wall_t, wall_d),
            goal(chain_t, best, wall_t / wall_d if wall_d else float("inf")),
        ])  # fmt: skip
    return markdown_table(HEADER, rows)


def goal(chain: float, best_one_step: float, compile_ratio: float) -> str:
    misses = [why for why, bad in (("acc", chain < best_one_step),
                                   ("compile wall", compile_ratio > TARGET)) if bad]  # fmt: skip
    return "yes" if not misses else "no (" + ", ".join(misses) + ")"


def passed_on(legs: list[dict[str, Any]], ours: str) -> str:
    """A line per chain case: what Tunesmith's first step passed on, first held-out row of the
    lowest seed (the JSON keeps a few rows per leg)."""
    lines = []
    for case in chain_cases(legs):
        chosen = sorted((g for g in completed(legs) if g["case"] == case
                         and g["framework"] == ours and g.get("steps")),
                        key=lambda g: g["seed"])  # fmt: skip
        sample = chosen[0]["steps"][0].get("passed_on") if chosen else None
        if sample:
            values = "; ".join(f"{k}: {as_code(v)}" for k, v in sample[0].items())
            lines.append(f"- {case}, seed {chosen[0]['seed']}: {values}")
    return "\n".join(lines)


def as_code(text: str) -> str:
    """A model's text shown as literal text in the markdown (a code span, one line)."""
    return "`" + " ".join(str(text).replace("`", "'").split()) + "`"


def chain_section(legs: list[dict[str, Any]], ours: str, theirs: str) -> str:
    """The report's multi-step part ('' when the run has no multi-step case)."""
    if not chain_cases(legs):
        return ""
    lines = passed_on(legs, ours)
    sample = f"What Tunesmith's first step passed on (one row each):\n\n{lines}\n" if lines else ""
    return f"""### Multi-step programs: does the chain help?

Each multi-step program beside its one-step partner (the scored step alone on the program's
inputs, same split and optimizer). T = Tunesmith, D = {theirs}. Step accuracy: per step, the
share of held-out rows where its output matched the row's label (— : the step has no label).
Goal (issue 66): Tunesmith's chain at least the best one-step program's held-out accuracy, at
compile wall time ≤ {TARGET}× DSPy's chain.

{chain_table(legs, ours, theirs)}

{sample}"""
