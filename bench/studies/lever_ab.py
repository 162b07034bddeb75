"""A lever, on and off, on the generated message sets' default run: the same data, split and
seed, once as the spec is and once with `--set` overrides, each run in a process and a home of
its own (no shared LM cache), on the embedded model: LM calls the model answered, minutes, and
held-out answers right, pooled.

    python -m bench.studies.lever_ab --sms-seeds 5 6 --set optimizer.stop_when_flat=4
    python -m bench.studies.lever_ab --sms-seeds 8 --split-seeds 0 1 2 \\
        --set optimizer.params.close_enough=null --set optimizer.params.spend_share=null
    git worktree add /tmp/before fd1fe4b~1
    python -m bench.studies.lever_ab --sms-seeds 15 --restate --set optimizer.try_shapes=true \\
        --before-checkout /tmp/before

A lever that is a change of code: `--before-checkout` runs the first run with the engine of
another checkout (the commit before the change), the second with this one.
`--restate`: the messages as a program of two steps (restate the message, then classify what
it says), the structure stage's case. `--tickets-extract`: instead of generated messages, the
sample support tickets as extract -> classify (bench/shapes' case), split by `--split-seeds`:

    python -m bench.studies.lever_ab --tickets-extract --split-seeds 0 1 \\
        --set optimizer.try_shapes=true --before-checkout /tmp/before

A value is read as YAML (`null`, `4`, `0.5`, `text`). Which generator seeds are tuning data and
which are unseen: bench/DATA.md (a lever chosen on tuning seeds is confirmed once on unseen
ones). Prints a markdown table (results in bench/results/ by hand).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def parse_set(text: str) -> tuple[list[str], Any]:
    """`optimizer.params.close_enough=null` -> (["optimizer", "params", "close_enough"], None)."""
    path, sep, value = text.partition("=")
    if not sep or not path.strip():
        raise argparse.ArgumentTypeError(f"--set {text!r}: expected KEY.PATH=VALUE")
    return path.strip().split("."), yaml.safe_load(value)


def with_overrides(spec: dict[str, Any], overrides: list[tuple[list[str], Any]]) -> dict:
    for path, value in overrides:
        node = spec
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = value
    return spec


RESTATE = {"name": "restate", "module": "Predict",
           "instructions": "Restate in a few words what the text message says or asks for.",
           "fields": [{"name": "message", "role": "input"},
                      {"name": "gist", "role": "output",
                       "description": "what the message says or asks for"}]}  # fmt: skip


def restated(spec: dict[str, Any]) -> dict[str, Any]:
    """The generated project's one classify step as restate -> classify (what it says)."""
    classify = spec["pipeline"][0]
    classify["instructions"] = "Given what a text message says, decide whether it is spam or ham."
    classify["fields"][0] = {"name": "gist", "role": "input"}
    spec["pipeline"] = [dict(RESTATE), classify]
    return spec


EXTRACT = {"name": "extract", "module": "Predict",
           "instructions": "Extract what a customer support ticket is about and the problem.",
           "fields": [{"name": "ticket", "role": "input"},
                      {"name": "product", "role": "output", "description":
                       "what the ticket is about: an order, an invoice, an app, ..."},
                      {"name": "problem", "role": "output",
                       "description": "the customer's problem, in a few words"}]}  # fmt: skip


def extracted(spec: dict[str, Any]) -> dict[str, Any]:
    """The sample tickets' one classify step as extract -> classify (product and problem)."""
    classify = spec["pipeline"][0]
    classify["instructions"] = ("Route a support ticket, given its product and problem, to the "
                                "right team.")  # fmt: skip
    classify["fields"][0:1] = [{"name": "product", "role": "input"},
                               {"name": "problem", "role": "input"}]  # fmt: skip
    spec["pipeline"] = [dict(EXTRACT), classify]
    spec["models"]["task"]["max_tokens"] = 64
    return spec


def tickets_project(folder: Path) -> Path:
    """A copy of the sample tickets project in `folder` (the runs' spec copies go beside it)."""
    for name in ("support_tickets.yaml", "support_tickets.csv"):
        shutil.copy(ROOT / "sample_data" / name, folder / name)
    return folder / "support_tickets.yaml"


def one_run(spec_path: Path, overrides: list, split_seed: int, home: Path, tag: str,
            root: Path = ROOT, reshape: Any = None) -> dict:  # fmt: skip
    """One run in a process of its own with a home of its own (so its LM cache is its own), with
    the engine of the checkout `root`."""
    from engine.runs import RunStore, load_spec, save_spec, spec_from_dict

    spec = load_spec(spec_path).to_dict()
    spec["data"]["seed"] = split_seed
    spec = reshape(spec) if reshape else spec
    copy = spec_path.with_name(f"{spec_path.stem}-{split_seed}-{tag}.yaml")
    save_spec(spec_from_dict(with_overrides(spec, overrides), spec_path.parent), copy)
    store = home / "tunesmith_data" / "runs.db"
    env = {**os.environ, "TUNESMITH_HOME": str(home), "PYTHONPATH": str(root)}
    start = time.monotonic()
    subprocess.run([sys.executable, "-m", "engine", "run", str(copy), "--db", str(store)],
                   env=env, cwd=root, capture_output=True, text=True, check=False)  # fmt: skip
    minutes = (time.monotonic() - start) / 60
    with RunStore(store) as db:
        (run,) = db.list_runs()
        run, usage = db.get_run(run["id"]), db.usage(run["id"])
    n_test = (run.get("sizes") or {}).get("test") or 0
    return {
        "status": run["status"], "reason": run.get("reason") or "", "minutes": minutes,
        "calls": (usage.get("calls") or 0) - (usage.get("cache_hits") or 0),
        "right": round((run.get("test_best") or 0) * n_test), "n_test": n_test,
        "steps": [s["name"] for s in run["spec"]["pipeline"]],
    }  # fmt: skip


def main() -> int:
    from bench.studies.keep_start_rule import sms_project

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sms-seeds", type=int, nargs="+", default=[])
    parser.add_argument(
        "--split-seeds", type=int, nargs="+", default=[0],
        help="the spec's data.seed (which rows train, validate and test)",
    )  # fmt: skip
    parser.add_argument(
        "--set", dest="overrides", type=parse_set, action="append", default=[],
        help="KEY.PATH=VALUE of the spec for both runs with --before-checkout, else for the "
        "second run only (repeatable)",
    )  # fmt: skip
    parser.add_argument("--before-checkout", type=Path,
                        help="the first run with this checkout's engine (a lever in code)")
    parser.add_argument("--restate", action="store_true",
                        help="the messages as restate -> classify")  # fmt: skip
    parser.add_argument("--tickets-extract", action="store_true",
                        help="the sample tickets as extract -> classify, not messages")
    args = parser.parse_args()
    if bool(args.sms_seeds) == args.tickets_extract:
        parser.error("give --sms-seeds or --tickets-extract")
    if not args.overrides and not args.before_checkout:
        parser.error("nothing differs between the runs: give --set or --before-checkout")
    before = args.before_checkout or ROOT
    first = args.overrides if args.before_checkout else []
    rows = []
    reshape = extracted if args.tickets_extract else restated if args.restate else None
    for seed in args.sms_seeds or ["tickets"]:
        folder = Path(tempfile.mkdtemp(prefix=f"lever-{seed}-"))
        spec_path = tickets_project(folder) if args.tickets_extract else sms_project(folder, seed)
        for split in args.split_seeds:
            base = one_run(spec_path, first, split, folder / f"as-is-{split}", "as-is", before,
                           reshape)  # fmt: skip
            lever = one_run(spec_path, args.overrides, split, folder / f"set-{split}", "set",
                            ROOT, reshape)  # fmt: skip
            rows.append((seed, split, base, lever))
            print(f"seed {seed}/{split}: {base} | {lever}", file=sys.stderr, flush=True)
    changed = ", ".join(f"{'.'.join(p)}={v}" for p, v in args.overrides)
    said = (f"First run: the engine at {before}; both: {changed or 'the spec'}"
            if args.before_checkout else f"Second run: {changed}")
    print(f"{said}.\n\n| generator seed / split seed | calls (as is → set) | minutes | "
          "held-out right | steps kept | how the second ended |\n|---|---|---|---|---|---|")
    for seed, split, base, lever in rows:
        print(f"| {seed} / {split} | {base['calls']} → {lever['calls']} | {base['minutes']:.1f} "
              f"→ {lever['minutes']:.1f} | {base['right']}/{base['n_test']} → "
              f"{lever['right']}/{lever['n_test']} | {'+'.join(base['steps'])} → "
              f"{'+'.join(lever['steps'])} | {lever['status']}: "
              f"{lever['reason'][:80] or '-'} |")  # fmt: skip
    totals = [sum(r[k][f] for r in rows) for k in (2, 3) for f in ("calls", "right", "n_test")]
    print(f"\nPooled: calls {totals[0]} → {totals[3]} ({totals[3] / max(totals[0], 1):.2f}×), "
          f"held-out right {totals[1]}/{totals[2]} → {totals[4]}/{totals[5]}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
