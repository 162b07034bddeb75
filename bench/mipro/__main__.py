"""MIPROv2 head to head: Tunesmith vs DSPy 3.4.1, auto="light", on the same embedded model and data.

Both frameworks run in this one process against the same in-process model (Tunesmith's litellm
provider `local/smollm2-135m`), which is the task model and the proposer model in both. Data,
signature and metric as in bench/fewshot/__main__.py: banking77 (six intents), train/val a seeded
split of `train.csv`, the held-out score on a seeded sample of `test.csv`.

Each setup is run by both frameworks with the same compile settings. Setup "same" is DSPy's
defaults with a 256-token proposer LM: there DSPy's proposer can die on a reply it cannot parse,
which is caught and recorded (error, calls and seconds spent). Setup "alt" is the same except
that DSPy parses its prompt model's replies with a lenient adapter (bench/mipro/adapter.py), so that
DSPy completes and a ratio exists (measured: a larger proposer max_tokens, 512 or 1024, does
not help; nor do greedy proposals without the program description). Reports
held-out accuracy, LM calls by role (task, proposer), prompt and generated tokens, wall time,
the model-side meter, and Tunesmith/DSPy ratios.

    python -m bench.mipro [--quick] [--seed N] [--json FILE] [--write]
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
from bench.mipro.records import MiproOutcome, Setup  # noqa: E402
from bench.mipro.report import report  # noqa: E402
from bench.mipro.runners import DSPyMipro, TunesmithMipro, progress  # noqa: E402


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_run_arguments(p, "mipro")
    p.add_argument("--train-size", type=int, default=40)
    p.add_argument("--val-size", type=int, default=100, help="light caps the valset at 100")
    p.add_argument("--test-size", type=int, default=120)
    p.add_argument("--max-bootstrapped", type=int, default=4)
    p.add_argument("--max-labeled", type=int, default=4)
    p.add_argument("--max-tokens", type=int, default=64, help="the task LM's max_tokens")
    p.add_argument("--threads", type=int, default=4, help="num_threads for both frameworks")
    p.add_argument("--mipro-seed", type=int, default=9, help="MIPROv2(seed=...), DSPy's default")
    p.add_argument(
        "--proposer-max-tokens", type=int, default=256, help="the proposer LM's, setup 'same'"
    )
    p.add_argument(
        "--alt-proposer-max-tokens", type=int, default=256, help="the proposer LM's, setup 'alt'"
    )
    p.add_argument(
        "--alt-init-temperature",
        type=float,
        default=1.0,
        help="MIPROv2(init_temperature=...) in setup 'alt' (DSPy's default: 1.0)",
    )
    p.add_argument(
        "--alt-program-aware",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="program_aware_proposer in setup 'alt' (DSPy's default: on)",
    )
    p.add_argument(
        "--alt-data-aware",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="data_aware_proposer in setup 'alt' (DSPy's default: on)",
    )
    p.add_argument(
        "--alt-lenient",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="setup 'alt': DSPy parses its prompt model's replies with LenientProposerParse",
    )
    add_setup_arguments(
        p,
        "zero-shot held-out scores to measure (DSPy's takes ~5 s a row: its replies fail "
        "to parse and each gets a JSON retry)",
    )
    p.add_argument("--quick", action="store_true", help="tiny sizes for a smoke run")
    args = p.parse_args()
    if args.quick:
        args.train_size, args.val_size, args.test_size = 16, 16, 30
    return args


def setups(args: argparse.Namespace) -> list[Setup]:
    """The setups asked for, in order."""
    known = {
        "same": Setup(
            "same",
            "DSPy's defaults, the setup where DSPy's proposer was seen to die",
            args.proposer_max_tokens,
        ),
        "alt": Setup(
            "alt",
            "DSPy's prompt model parsed leniently (a reply without the field marker is taken "
            "whole as the field), so that DSPy's proposer completes",
            args.alt_proposer_max_tokens,
            init_temperature=args.alt_init_temperature,
            program_aware=args.alt_program_aware,
            data_aware=args.alt_data_aware,
            lenient_proposer=args.alt_lenient,
        ),
    }
    return choose(args.setups, known)


def main() -> None:
    args = parse_args()
    legs, zero_shot = setup_legs(setups(args), progress, MiproOutcome)

    def run() -> None:
        run_head_to_head(args, TunesmithMipro, DSPyMipro, legs, report, zero_shot)

    run_or_report(args, run, report)


if __name__ == "__main__":
    main()
