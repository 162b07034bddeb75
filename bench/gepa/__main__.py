"""GEPA head to head: Tunesmith vs DSPy 3.4.1's dspy.GEPA, on the same embedded model and data.

Both frameworks run in this one process against the same in-process model (Tunesmith's litellm
provider `local/smollm2-135m`), which is the task model and the reflection model in both. Data
and signature as in bench/fewshot/__main__.py: banking77 (six intents), train (the reflection
minibatches) and val (GEPA's Pareto set) a seeded split of `train.csv`, the held-out score on a
seeded sample of `test.csv`. The feedback metric is the same function in both (exact match on
the label, "expected 'X', got 'Y'"), and so are max_metric_calls, the minibatch size, the
seed, num_threads and use_merge.

Each setup is run by both frameworks with the same settings. Setup "same" is DSPy's defaults:
its instruction proposer asks the reflection LM for JSON (JSONAdapter); a reply that does not
parse gives no instruction (DSPy's engine logs it and goes on; a compile that raises is caught
and recorded, with the calls and seconds spent). Setup "alt" is the same except that DSPy
parses the reflection LM's reply leniently (bench/gepa/adapter.py). Reports held-out accuracy, LM
calls by role (task, reflection), metric calls against the budget, reflections and how many
gave no instruction, prompt and generated tokens, wall time, the model-side meter, and
Tunesmith/DSPy ratios.

    python -m bench.gepa [--quick] [--seed N] [--json FILE] [--write]
"""

import argparse

from bench.core.common import isolate_caches

isolate_caches()  # before anything imports dspy or litellm

from bench.core.head_to_head import (  # noqa: E402
    add_run_arguments,
    add_setup_arguments,
    choose,
    run_head_to_head,
    run_or_report,
    setup_legs,
)
from bench.gepa.records import GepaOutcome, GepaSetup  # noqa: E402
from bench.gepa.report import report  # noqa: E402
from bench.gepa.runners import DSPyGepa, TunesmithGepa  # noqa: E402
from bench.mipro.runners import progress  # noqa: E402

QUICK = {"train_size": 12, "val_size": 8, "test_size": 20, "max_metric_calls": 40}


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_run_arguments(p, "gepa")
    p.add_argument("--train-size", type=int, default=24, help="reflection minibatches come from it")
    p.add_argument("--val-size", type=int, default=24, help="GEPA's Pareto set")
    p.add_argument("--test-size", type=int, default=60)
    p.add_argument("--max-metric-calls", type=int, default=150, help="GEPA's budget, both")
    p.add_argument("--minibatch", type=int, default=3, help="reflection_minibatch_size, both")
    p.add_argument("--max-tokens", type=int, default=64, help="the task LM's max_tokens")
    p.add_argument("--reflection-max-tokens", type=int, default=256, help="the reflection LM's")
    p.add_argument("--reflection-temperature", type=float, default=1.0, help="the reflection LM's")
    p.add_argument(
        "--threads",
        type=int,
        default=4,
        help="num_threads for both (DSPy's GEPA default, None, means dspy.settings.num_threads)",
    )
    p.add_argument("--gepa-seed", type=int, default=0, help="GEPA(seed=...), DSPy's default")
    p.add_argument(
        "--use-merge",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="GEPA(use_merge=...) in both (DSPy's default: on)",
    )
    add_setup_arguments(
        p,
        "zero-shot held-out scores to measure (GEPA's first candidate is the student)",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="tiny sizes for a smoke run: "
        + ", ".join(f"{k.replace('_', '-')} {v}" for k, v in QUICK.items()),
    )
    args = p.parse_args()
    if args.quick:
        for key, value in QUICK.items():
            setattr(args, key, value)
    if args.max_metric_calls < args.val_size:
        p.error(
            f"--max-metric-calls {args.max_metric_calls} is less than one evaluation of the "
            f"{args.val_size} validation rows"
        )
    return args


def setups(args: argparse.Namespace) -> list[GepaSetup]:
    """The setups asked for, in order."""
    known = {
        "same": GepaSetup("same", "DSPy's defaults: the reflection LM is asked for JSON"),
        "alt": GepaSetup(
            "alt",
            "DSPy's reflection replies parsed leniently (a reply that is not the JSON asked for "
            "is taken whole as the new instruction), so that a plain-text reply counts",
            lenient_reflection=True,
        ),
    }
    return choose(args.setups, known)


def main() -> None:
    args = parse_args()
    legs, zero_shot = setup_legs(setups(args), progress, GepaOutcome)

    def run() -> None:
        run_head_to_head(args, TunesmithGepa, DSPyGepa, legs, report, zero_shot)

    run_or_report(args, run, report)


if __name__ == "__main__":
    main()
