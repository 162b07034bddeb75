"""How to pick among candidates tied on a small valset, measured on held-out rows.

For each shape case, six candidates (zero-shot and five two-demo draws of LabeledFewShot) answer
`--rows` rows per data seed on the embedded model; each row keeps whether it was right and the
model's scores for the closed last output. Then, offline, many random validation sets of
`--val` rows: each rule picks a candidate from its validation rows, scored on the other rows.

Rules: `first` (the best validation score, ties to the first scored, in a random scoring order:
what the spine does), `gold score` (ties broken by the mean margin of the gold label's score over
the best other value), `gold score only` (that margin alone). `mean` is a random pick's expected
held-out accuracy and `best` the held-out best (neither is a rule).

    python -m bench.studies.tie_break_rules --cases bool,str_desc,literal,int,cot
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Callable
from pathlib import Path
from statistics import fmean

import bench.core.common as _common

_common.isolate_caches()

import engine as ts  # noqa: E402
from bench.core.data import DEFAULT_DATA, MODEL  # noqa: E402
from bench.shapes.cases import BY_NAME, examples, signature, split  # noqa: E402
from engine.optimizers import RunContext  # noqa: E402

Row = tuple[float, float]  # (metric, gold label's score margin)
DRAWS = 5  # two-demo candidates besides zero-shot
NO_SCORE = -10.0  # margin of a row without scores (a failed call)


def gold_margin(scores: dict | None, gold: str) -> float:
    """The gold value's score minus the best other value's."""
    by_value = {str(k).strip().lower(): float(v) for k, v in (scores or {}).items()}
    if gold not in by_value or len(by_value) < 2:
        return NO_SCORE
    return by_value[gold] - max(v for k, v in by_value.items() if k != gold)


def candidate_rows(case_name: str, data: Path, rows: int, seed: int) -> list[list[Row]]:
    """Each candidate's rows: zero-shot, then DRAWS two-demo draws from 10 training rows."""
    case = BY_NAME[case_name]
    field = list(case.outputs)[-1]
    train, _, test = split(case, data, (10, 0, rows), seed)
    trainset, testset = examples(case, ts, train), examples(case, ts, test)
    kind = ts.ChainOfThought if case.chain_of_thought else ts.Predict
    programs = [kind(signature(case, ts))]
    for draw in range(DRAWS):
        student = kind(signature(case, ts))
        run = RunContext(seed=draw)
        programs.append(ts.LabeledFewShot(k=2).compile(student, trainset=trainset, run=run))
    table = []
    for program in programs:
        scored = []
        for example in testset:
            gold = str(example[field]).strip().lower()
            try:
                pred = program(**example.inputs())
            except Exception:  # noqa: BLE001 - a failed row scores 0, as in an evaluation
                scored.append((0.0, NO_SCORE))
                continue
            scores = (getattr(pred, "choice_scores", None) or {}).get(field)
            scored.append((float(case.metric(example, pred)), gold_margin(scores, gold)))
        table.append(scored)
    return table


Pick = Callable[[dict[int, float], dict[int, float], list[int]], int]
RULES: dict[str, Pick] = {
    "first": lambda acc, margin, order: next(c for c in order if acc[c] == max(acc.values())),
    "gold score": lambda acc, margin, order: max(
        (c for c in order if acc[c] == max(acc.values())), key=lambda c: margin[c]
    ),
    "gold score only": lambda acc, margin, order: max(order, key=lambda c: margin[c]),
}


def measure(pools: list[list[list[Row]]], val: int, splits: int) -> tuple[dict, float]:
    """{rule or reference: mean held-out accuracy}, and the share of splits with a tie."""
    totals = dict.fromkeys([*RULES, "mean", "best"], 0.0)
    ties = count = 0
    for number, table in enumerate(pools):
        rng = random.Random(number)
        for _ in range(splits):
            count += 1
            ids = list(range(len(table[0])))
            rng.shuffle(ids)
            on_val, held = ids[:val], ids[val:]
            order = list(range(len(table)))
            rng.shuffle(order)
            acc = {c: sum(table[c][i][0] for i in on_val) for c in order}
            margin = {c: fmean([table[c][i][1] for i in on_val]) for c in order}
            held_out = {c: fmean([table[c][i][0] for i in held]) for c in order}
            ties += sum(acc[c] == max(acc.values()) for c in order) > 1
            for name, pick in RULES.items():
                totals[name] += held_out[pick(acc, margin, order)]
            totals["mean"] += fmean(list(held_out.values()))
            totals["best"] += max(held_out.values())
    return {k: v / count for k, v in totals.items()}, ties / count


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, default=DEFAULT_DATA, help="banking77 dir (train.csv)")
    p.add_argument("--cases", default="bool,str_desc,literal,int,cot")
    p.add_argument("--seeds", default="0,1", help="data seeds (one row pool each)")
    p.add_argument("--rows", type=int, default=40, help="rows answered per seed")
    p.add_argument("--val", default="5,12", help="validation set sizes to try")
    p.add_argument("--splits", type=int, default=500, help="random valsets per seed and size")
    args = p.parse_args()
    ts.configure(lm=ts.LM(MODEL, temperature=0.0, max_tokens=64, cache=False))
    names = [*RULES, "mean", "best"]
    print(f"6 candidates, {args.rows} rows per seed (seeds {args.seeds}), model {MODEL}; ")
    print("held-out accuracy of the pick, %\n")
    print("| case | valset | ties | " + " | ".join(names) + " |")
    print("|---|---|---|" + "---|" * len(names))
    for case in args.cases.split(","):
        pools = [candidate_rows(case, args.data, args.rows, int(s)) for s in args.seeds.split(",")]
        for val in (int(v) for v in args.val.split(",")):
            result, ties = measure(pools, val, args.splits)
            cells = " | ".join(f"{100 * result[n]:.1f}" for n in names)
            print(f"| {case} | {val} rows | {100 * ties:.0f}% | {cells} |")


if __name__ == "__main__":
    main()
