"""Few-shot optimizers head to head: Tunesmith vs DSPy 3.4.1 on the same embedded model and data.

Both frameworks run in this one process against the same in-process model: Tunesmith's litellm
provider `local/smollm2-135m` (SmolLM2-135M-Instruct on llama-cpp-python, one lock). Tunesmith
calls it with `LM("local/smollm2-135m")`; DSPy with `dspy.LM("local/smollm2-135m",
engine="litellm")`. Same sampling (temperature 0, same max_tokens), caches off in both.

Data: banking77 (six intents). Train and val are a seeded split of `train.csv`; the held-out
score is on a seeded sample of `test.csv`. Signature `text -> category: Literal[<6 intents>]`,
metric: exact match of `category`. For each optimizer (BootstrapFewShot,
BootstrapFewShotWithRandomSearch) with identical settings, reports held-out accuracy, task LM
calls, tokens, compile and eval wall time, and Tunesmith/DSPy ratios. A meter around the model
counts every call and the prompt tokens the model really had to process (after llama.cpp's
prefix reuse), which is what wall time follows on a CPU.

    python -m bench.fewshot [--quick] [--write]
"""

import argparse
from typing import Any

from bench.core.common import isolate_caches

isolate_caches()  # before anything imports dspy or litellm

from bench.core.head_to_head import (  # noqa: E402
    Pairs,
    add_run_arguments,
    each_config,
    run_head_to_head,
    run_or_report,
)
from bench.core.runners import DSPy, Tunesmith, progress, tunesmith_variants  # noqa: E402
from bench.fewshot.report import report  # noqa: E402


# -- main ------------------------------------------------------------------------------------
def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_run_arguments(p, "fewshot")
    p.add_argument("--train-size", type=int, default=40)
    p.add_argument("--val-size", type=int, default=40)
    p.add_argument("--test-size", type=int, default=120)
    p.add_argument(
        "--candidates", type=int, default=4, help="num_candidate_programs for random search"
    )
    p.add_argument("--max-bootstrapped", type=int, default=4)
    p.add_argument("--max-labeled", type=int, default=8)
    p.add_argument("--max-tokens", type=int, default=64)
    p.add_argument("--threads", type=int, default=4, help="num_threads for both frameworks")
    p.add_argument(
        "--optimizers",
        default="BootstrapFewShot,BootstrapFewShotWithRandomSearch",
        help="comma-separated subset",
    )
    p.add_argument(
        "--ts-bfs-valset",
        choices=["val", "none", "both"],
        default="none",
        help="Tunesmith BootstrapFewShot: valset=val (also scores baseline and result on it), "
        "no valset (the same work as DSPy's; the default), or both rows",
    )
    p.add_argument("--no-baseline", action="store_true", help="skip the zero-shot held-out score")
    p.add_argument("--quick", action="store_true", help="small sizes: a few minutes")
    args = p.parse_args()
    args.baseline = "none" if args.no_baseline else "both"
    if args.quick:
        args.train_size, args.val_size, args.test_size = 16, 16, 30
        args.candidates, args.max_labeled = 1, 4
    return args


def legs(tunesmith: Any, peer: Any, args: argparse.Namespace) -> tuple[Pairs, dict[str, Any]]:
    """Each optimizer once in DSPy per configuration (`--peer`), against each Tunesmith variant
    of it."""
    pairs: Pairs = []
    for optimizer in [o.strip() for o in args.optimizers.split(",") if o.strip()]:
        theirs = [progress(peer.run(optimizer)) for _ in each_config(peer, args.peer)]
        for variant in tunesmith_variants(optimizer, args.ts_bfs_valset):
            ours = progress(tunesmith.run(variant))
            pairs += [(ours, one) for one in theirs]
    return pairs, {}


def main() -> None:
    args = parse_args()
    run_or_report(args, lambda: run_head_to_head(args, Tunesmith, DSPy, legs, report), report)


if __name__ == "__main__":
    main()
