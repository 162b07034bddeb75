"""Choice calibration's keep rule, measured on held-out rows against stricter rules.

For each shape case with a closed last output, a two-demo program (LabeledFewShot, k=2) is
scored on `--rows` rows per data seed on the embedded model, and the rows the calibration step
fits on are captured (the model's choice scores, the metric of every value). Then, offline, many
random fits: `--fit` rows (the first `--val` of them the "validation" rows) are fitted as an
optimizer run would, and each rule's kept offsets are scored on the remaining rows. Reported:
how often each rule keeps a fit, the mean held-out change per fit (percentage points, a fit not
kept counting 0), and how many kept fits hurt or helped held-out accuracy.

Rules: `today` (engine.optimizers.calibration._choices.fit_kept: a gain of MIN_GAIN examples on
the fit rows, no loss on the validation rows); `today + leave-one-out` (also a positive gain
summed over the fit rows, each predicted by offsets fitted on the others); `gain >= 3`.

    python -m bench.studies.calibration_rules --cases bool,str_desc,literal,int,cot,two_outputs
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Callable
from pathlib import Path

import bench.core.common as _common

_common.isolate_caches()

import engine as ts  # noqa: E402
import engine.optimizers.calibration._choices as calibration  # noqa: E402
from bench.core.data import DEFAULT_DATA, MODEL  # noqa: E402
from bench.shapes.cases import BY_NAME, examples, signature, split  # noqa: E402
from engine.optimizers.calibration._choices import (  # noqa: E402
    ScoredRow,
    fit_kept,
    fit_offsets,
    summed_metric,
)

Rule = Callable[[list[ScoredRow], list[ScoredRow], dict], tuple[dict, bool]]


def captured_rows(case_name: str, data: Path, rows: int, seed: int) -> tuple[list, dict]:
    """The rows calibration fits on for the case's two-demo program on `rows` rows."""
    case = BY_NAME[case_name]
    train, val, _ = split(case, data, (2, rows, 0), seed)
    seen: dict = {}
    fit = calibration.fit_offsets

    def capture(fit_rows: list[ScoredRow], current: dict | None = None) -> tuple[dict, float]:
        seen["rows"], seen["current"] = list(fit_rows), dict(current or {})
        return fit(fit_rows, current)

    calibration.fit_offsets = capture
    try:
        module = ts.ChainOfThought if case.chain_of_thought else ts.Predict
        ts.LabeledFewShot(k=2, metric=case.metric).compile(
            module(signature(case, ts)),
            trainset=examples(case, ts, train),
            valset=examples(case, ts, val),
        )
    finally:
        calibration.fit_offsets = fit
    return seen.get("rows", []), seen.get("current", {})


def leave_one_out_gain(rows: list[ScoredRow], current: dict) -> float:
    """The metric gained on each row by offsets fitted on the others, summed."""
    gain = 0.0
    for i, row in enumerate(rows):
        offsets, _ = fit_offsets(rows[:i] + rows[i + 1 :], current)
        gain += summed_metric([row], offsets) - summed_metric([row], current)
    return gain


def today_and_loo(val: list[ScoredRow], train: list[ScoredRow], current: dict) -> tuple:
    offsets, kept = fit_kept(val, train, current)
    return offsets, kept and leave_one_out_gain(val + train, current) > 0


def gain_three(val: list[ScoredRow], train: list[ScoredRow], current: dict) -> tuple:
    offsets, gain = fit_offsets(val + train, current)
    kept = gain >= 3 and summed_metric(val, offsets) >= summed_metric(val, current)
    return offsets, kept


RULES: dict[str, Rule] = {
    "today": fit_kept,
    "today + leave-one-out": today_and_loo,
    "gain >= 3": gain_three,
}


def measure(pools: list[tuple[list, dict]], args: argparse.Namespace) -> dict[str, list]:
    """{rule: [kept, held-out change summed (fraction), hurt, helped]} over the random fits."""
    results = {name: [0, 0.0, 0, 0] for name in RULES}
    per_pool = args.splits // len(pools)
    for number, (rows, current) in enumerate(pools):
        rng = random.Random(number)
        for _ in range(per_pool):
            order = rows[:]
            rng.shuffle(order)
            fit, held = order[: args.fit], order[args.fit :]
            for name, rule in RULES.items():
                offsets, kept = rule(fit[: args.val], fit[args.val :], current)
                if not kept:
                    continue
                change = (summed_metric(held, offsets) - summed_metric(held, current)) / len(held)
                tally = results[name]
                tally[0] += 1
                tally[1] += change
                tally[2] += change < 0
                tally[3] += change > 0
    return results


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, default=DEFAULT_DATA, help="banking77 dir (train.csv)")
    p.add_argument("--cases", default="bool,str_desc,literal,int,cot,two_outputs")
    p.add_argument("--seeds", default="0,1,2", help="data seeds (one row pool each)")
    p.add_argument("--rows", type=int, default=40, help="rows scored per seed")
    p.add_argument("--fit", type=int, default=12, help="rows per fit (FIT_ROWS)")
    p.add_argument("--val", type=int, default=5, help="of them, validation rows")
    p.add_argument("--splits", type=int, default=300, help="random fits per case")
    args = p.parse_args()
    ts.configure(lm=ts.LM(MODEL, temperature=0.0, max_tokens=64, cache=False))
    print(f"{args.fit}-row fits ({args.val} validation rows), {args.splits} per case, held-out: ")
    print(f"the other rows of a seed's {args.rows}; seeds {args.seeds}; model {MODEL}\n")
    print("| case | rule | fits kept | held-out change per fit | kept fits that hurt / helped |")
    print("|---|---|---|---|---|")
    for case in args.cases.split(","):
        pools = [captured_rows(case, args.data, args.rows, int(s)) for s in args.seeds.split(",")]
        pools = [(rows, current) for rows, current in pools if len(rows) > args.fit]
        if not pools:
            print(f"| {case} | (no closed choice with scores) | | | |")
            continue
        total = args.splits // len(pools) * len(pools)
        for name, (kept, change, hurt, helped) in measure(pools, args).items():
            print(
                f"| {case} | {name} | {kept} of {total} | {100 * change / total:+.1f} pts "
                f"| {hurt} / {helped} |"
            )


if __name__ == "__main__":
    main()
