"""Where the chat adapter asks for the outputs, per signature shape, measured on the embedded model.

`bench/studies/adapter_layouts.py` measured where the output request goes on banking77
(`Literal` labels, bootstrapped demo sets). This script compares the two placements that matter
on the cases of the signature-shape matrix (`bench/shapes/cases.py`): the chat adapter's
(`request in system`: the request closes the system message, the last user message holds only
the inputs) and DSPy's (`inputs first`: the last user message gives the inputs, then the
request, which is re-read every call). Everything else is equal: the same rows, the same demos
in the same order, the same model at temperature 0. Two kinds of demos, labeled (inputs and gold
outputs): each row's 3 nearest training rows, nearest first (`engine.optimizers.knn.KNN`, as
KNNFewShot picks them, with the vectorizer of `bench/core/hashed_bow.py`), and the first two
training rows (one fixed demo set). long_input is left out: 430-token rows make it the slowest
case, and the request is ~10% of its new tokens.

    python -m bench.studies.layout_by_shape --cases str_desc,literal --seeds 0,1,2,3 --rows 24
        [--write]
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time
from typing import Any

from bench.core.common import (
    command_line,
    isolate_caches,
    machine,
    markdown_table,
    ran_at,
    results_file,
    today,
    write_section,
)

isolate_caches()  # before anything imports litellm

import engine as ts  # noqa: E402
from bench.core.data import DEFAULT_DATA, MODEL  # noqa: E402
from bench.core.hashed_bow import hashed_bow  # noqa: E402
from bench.shapes.cases import BY_NAME, Case, examples, signature, split  # noqa: E402
from bench.studies.adapter_layouts import InputsFirst  # noqa: E402
from engine.lm._litellm import get_litellm  # noqa: E402
from engine.optimizers.knn import KNN  # noqa: E402

TRAIN_ROWS = 6  # the quick matrix's training split
LAYOUTS = {"request in system": None, "inputs first": InputsFirst()}
DEMO_KINDS = ("3 nearest", "first 2")


def demo_picker(kind: str, train: list[Any]) -> Any:
    """demos(**inputs): the demos a held-out example gets under `kind`."""
    if kind == "first 2":
        return lambda **_: train[:2]
    return KNN(3, train, vectorizer=hashed_bow)  # KNNFewShot's neighbours, nearest first


def score(case: Case, test: list[Any], demos: Any, adapter: Any) -> tuple[float, float, int]:
    """(held-out %, seconds, rows that raised) of the case's program with each row's demos."""
    sig = signature(case, ts)
    program = ts.ChainOfThought(sig) if case.chain_of_thought else ts.Predict(sig)
    total, failed, start = 0.0, 0, time.perf_counter()
    for example in test:
        for predictor in program.predictors():
            predictor.demos = demos(**example.inputs())
        with ts.context(adapter=adapter) if adapter else contextlib.nullcontext():
            try:
                total += float(case.metric(example, program(**example.inputs())))
            except Exception:  # noqa: BLE001 - a row that raises scores 0, and is counted
                failed += 1
    return 100 * total / len(test), time.perf_counter() - start, failed


def measure(args: argparse.Namespace) -> list[list[Any]]:
    """One row per (case, demo kind): mean held-out % and seconds per layout over the seeds."""
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    rows = []
    for name in args.cases.split(","):
        case = BY_NAME[name]
        results: dict[tuple[str, str], list[tuple[float, float, int]]] = {}
        for seed in seeds:
            parts = split(case, args.data, (TRAIN_ROWS, 0, args.rows), seed)
            train, _, test = (examples(case, ts, r) for r in parts)
            for kind in DEMO_KINDS:
                demos = demo_picker(kind, train)
                for layout, adapter in LAYOUTS.items():
                    result = score(case, test, demos, adapter)
                    results.setdefault((kind, layout), []).append(result)
                    print(name, seed, kind, layout, *(round(x, 1) for x in result), flush=True)
        for kind in DEMO_KINDS:
            ours, theirs = results[(kind, "request in system")], results[(kind, "inputs first")]
            wins = sum(a[0] > b[0] for a, b in zip(ours, theirs, strict=True))
            losses = sum(a[0] < b[0] for a, b in zip(ours, theirs, strict=True))
            rows.append([
                name, kind,
                f"{statistics.fmean(r[0] for r in ours):.1f}%",
                f"{statistics.fmean(r[0] for r in theirs):.1f}%",
                f"{wins} / {losses}",
                f"{sum(r[1] for r in ours):.0f} / {sum(r[1] for r in theirs):.0f}",
                sum(r[2] for r in ours + theirs),
            ])  # fmt: skip
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default=DEFAULT_DATA, help="dir with the banking77 subset")
    p.add_argument("--cases", default="str_desc,literal,bool,int,two_outputs,cot,free_text")
    p.add_argument("--seeds", default="0,1,2,3", help="comma-separated data seeds")
    p.add_argument("--rows", type=int, default=24, help="held-out rows per seed")
    p.add_argument("--write", action="store_true", help="write bench/results/layout-by-shape.md")
    args = p.parse_args()
    if args.write:
        ran_at()  # refused from uncommitted code, before any run
    get_litellm()
    ts.configure(lm=ts.LM(MODEL, temperature=0.0, max_tokens=64, cache=False))
    header = ["case", "demos", "request in system", "inputs first",
              "seeds won / lost (request in system)", "seconds", "rows that raised"]  # fmt: skip
    table = markdown_table(header, measure(args))
    print(table)
    if args.write:
        intro = __doc__.split("\n\n", 1)[1].rsplit("\n\n", 1)[0]
        body = (
            f"{intro}\n\nRun on {today()}: {machine()}.\n\n**Command:** `{command_line()}`\n\n"
            f"Held-out accuracy (token F1 for free_text), mean over the data seeds, {args.rows} "
            f"held-out rows per seed; seconds: all seeds' evaluations, summed.\n\n{table}"
        )
        title = "Where the chat adapter asks for the outputs, per shape"
        write_section("layout-by-shape", title, body, results_file("layout-by-shape"))


if __name__ == "__main__":
    main()
