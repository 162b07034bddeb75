"""Weight optimization's accuracy: the embedded SmolLM2-135M zero-shot (every run's start), with
BootstrapFewShot, BootstrapFinetune and BetterTogether, on one project's splits (held-out
accuracy with 95% intervals, wall time, training steps and speed).

Each method is one real run through the worker (`create_run` + `run_worker`, as the CLI and the
dashboard start them) on the project spec given (`--spec`, its data path inside; or
`--sms-seed G`: the generated spam/ham project of tools/sms_messages.py, generator seed G), with
the spec's optimizer replaced. The training settings default to the engine's (`training_params`:
what a user gets). Records go to a JSON-lines file, one per method, each with the commit it ran
at (refused from uncommitted code: `bench.core.common.ran_at`) and the command it belongs to, so
methods can run as separate bounded jobs under the model lock and a method is paired with the
BootstrapFewShot run of the same command; `--report` turns the file into
bench/results/finetune.md. No DSPy column: DSPy fine-tunes only through a provider's API or a
local torch + transformers trainer on a GPU, neither of which runs here. Which data each split
is (tuning or confirmation): bench/DATA.md.

    flock /tmp/tunesmith-model.lock python -m bench.finetune \\
        --spec sample_data/support_tickets.yaml --methods fewshot,finetune_labels
    python -m bench.finetune --report
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from bench.core.common import (
    REPO,
    RESULTS,
    command_line,
    isolate_caches,
    ran_at,
    results_file,
    today,
    write_section,
)

isolate_caches()

import os  # noqa: E402

from bench.finetune.report import (  # noqa: E402
    DEFAULT_STRATEGY,
    ENGINE,
    OPTIMIZERS,
    TRAINING,
    report,
)
from engine.runs import (  # noqa: E402
    create_run,
    events,
    get_run,
    load_spec,
    run_model_files,
    run_outcome,
    trials,
)
from engine.runs.process import run_worker  # noqa: E402
from engine.runs.spec import spec_from_dict  # noqa: E402
from tools.sms_messages import write_project  # noqa: E402

RECORDS_FILE = RESULTS / "finetune-runs.jsonl"
INVOCATION = uuid.uuid4().hex[:12]  # the methods of one command share it (and their splits)


def run_method(spec_path: Path, method: str, args: argparse.Namespace,
               dataset: str) -> dict[str, Any]:  # fmt: skip
    """One real run of `method` on the spec; what it scored, how long, how it trained."""
    spec = load_spec(spec_path).to_dict()
    if args.data_seed is not None and args.data_seed != spec["data"].get("seed", 0):
        spec["data"]["seed"] = args.data_seed
        dataset += f" (data seed {args.data_seed})"
    name, params = OPTIMIZERS[method]
    params = dict(params)
    if method in TRAINING:
        params.update(epochs=args.epochs, window=args.window, threads=args.threads,
                      loss_on=args.loss_on)
        if args.max_steps:
            params["max_steps"] = args.max_steps
        params["learning_rate"] = args.learning_rate
        if args.lr_schedule != "constant" or args.warmup:
            params.update(lr_schedule=args.lr_schedule, warmup=args.warmup)
        params["packing"] = args.packing
    if method.startswith("together"):  # p's demos make rows longer than the window: train bare
        params.update(candidates=args.candidates, exclude_demos=not args.with_demos)
        if args.strategy != DEFAULT_STRATEGY:
            params["strategy"] = args.strategy
    budget = {"max_calls": 5000, "max_minutes": args.max_minutes}
    spec["optimizer"] = {"name": name, "params": params, "budget": budget}
    home = Path(tempfile.mkdtemp(prefix="tunesmith-bench-ft-"))
    os.environ["TUNESMITH_HOME"] = str(home)
    db = home / "runs.db"
    run_id = create_run(spec_from_dict(spec, base_dir=spec_path.parent), db)
    started = time.perf_counter()
    status = run_worker(run_id, db)
    wall = time.perf_counter() - started
    run = get_run(run_id, db_path=db)
    comparison = run.get("comparison") or {}
    n = int(comparison.get("n") or spec["data"].get("test_size") or 0)
    run_events = events(run_id, db_path=db)
    steps = [e["data"] for e in run_events if e["type"] == "training_step"]
    step_scores = [e["data"]["message"] for e in run_events  # BetterTogether's validation
                   if e["type"] == "log" and e["data"].get("message", "").startswith("after step")]
    files = run_model_files(run_id, db) if status == "finished" else []
    best = comparison.get("best_candidate")
    tested = [t for t in trials(run_id, subset="test", db_path=db) if t["candidate"] == best]
    outcome = run_outcome(run_id, db) if status == "finished" else None
    record = {
        "dataset": dataset, "method": method, "optimizer": name, "params": params,
        "status": status, "wall_s": round(wall, 1), "n_test": n,
        "test_base": run.get("test_baseline"), "test_method": run.get("test_best"),
        "diff": comparison.get("diff"), "diff_ci": [comparison.get("ci_low"),
                                                   comparison.get("ci_high")],
        "training_steps": len(steps),
        "training_s": steps[-1]["seconds"] if steps else None,
        "tokens_per_second": steps[-1]["tokens_per_second"] if steps else None,
        "losses": [round(s["loss"], 3) for s in steps],
        "model_mb": round(files[0].size_bytes / 1e6) if files else None,
        "test_scores": tested[-1]["example_scores"] if tested else None,
        "step_scores": step_scores,
        "val_base": run.get("baseline_score"), "val_method": run.get("best_score"),
        "kept_start": outcome.kept_why if outcome and outcome.change == "start kept" else None,
        "reason": (run.get("reason") or "")[:300],
        "run_id": run_id, "date": today(), "commit": ran_at(), "command": command_line(),
        "invocation": INVOCATION,
    }  # fmt: skip
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spec", type=Path, default=REPO / "sample_data" / "support_tickets.yaml")
    parser.add_argument("--sms-seed", type=int, default=None,
                        help="instead of --spec: the generated spam/ham project (90 rows, "
                        "30/30/30) of tools/sms_messages.py with this generator seed")
    parser.add_argument("--methods", default="fewshot,finetune_labels")
    parser.add_argument("--epochs", type=int, default=ENGINE["epochs"])
    parser.add_argument("--window", type=int, default=ENGINE["window"])
    parser.add_argument("--loss-on", choices=("answer", "all"), default=ENGINE["loss_on"],
                        help="the tokens the training loss counts (records before it: all)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--max-steps", type=int, default=0, help="0: no cap")
    parser.add_argument("--learning-rate", type=float, default=ENGINE["learning_rate"])
    parser.add_argument("--lr-schedule", choices=("constant", "linear", "cosine"),
                        default=ENGINE["lr_schedule"])
    parser.add_argument("--warmup", type=float, default=ENGINE["warmup"], help="share of the steps")
    parser.add_argument("--packing", action=argparse.BooleanOptionalAction,
                        default=ENGINE["packing"],
                        help="several training rows to a window (--no-packing: each row alone; "
                        "rows packed together read each other's answers)")
    parser.add_argument("--data-seed", type=int, default=None,
                        help="draw the splits with this seed instead of the spec's")
    parser.add_argument("--candidates", type=int, default=4, help="BetterTogether's p step")
    parser.add_argument("--strategy", default=DEFAULT_STRATEGY,
                        help="BetterTogether's steps, e.g. 'w -> p' (demos on the tuned model)")
    parser.add_argument("--with-demos", action="store_true",
                        help="BetterTogether trains on prompts with the p step's demos (rows of "
                        "~930 tokens on support tickets: raise --window to 1024)")
    parser.add_argument("--max-minutes", type=float, default=14.0, help="each run's bound")
    parser.add_argument("--allow-outside-data", action="store_true",
                        help="read data outside the spec's folder (banking77's shared CSVs)")
    parser.add_argument("--report", action="store_true", help="write bench/results/finetune.md")
    parser.add_argument("--records", type=Path, default=RECORDS_FILE, help="the JSON-lines file")
    args = parser.parse_args()
    ran_at()  # runs append records and --report writes: never from uncommitted code
    if args.allow_outside_data:  # as the CLI's --allow-outside-data
        os.environ["TUNESMITH_ALLOW_OUTSIDE_DATA"] = "1"
    if args.report:
        write_section("finetune", "Base vs prompts vs weights (embedded SmolLM2-135M)",
                      report(args.records), results_file("finetune"))  # fmt: skip
        return
    unknown = [m for m in args.methods.split(",") if m not in OPTIMIZERS]
    if unknown:
        parser.error(f"unknown method(s) {unknown}; choose from {', '.join(OPTIMIZERS)}")
    spec, dataset = args.spec.resolve(), args.spec.stem
    if args.sms_seed is not None:
        folder = Path(tempfile.mkdtemp(prefix="tunesmith-bench-sms-"))
        spec, dataset = write_project(folder, n=90, seed=args.sms_seed), "sms"
        dataset += f" (generator seed {args.sms_seed})"
    for method in args.methods.split(","):
        record = run_method(spec, method, args, dataset)
        args.records.parent.mkdir(parents=True, exist_ok=True)
        with open(args.records, "a") as handle:
            handle.write(json.dumps(record) + "\n")
        print(json.dumps(record), flush=True)


if __name__ == "__main__":
    main()
