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
import math
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
    machine,
    markdown_table,
    ran_at,
    results_file,
    today,
    write_section,
)

isolate_caches()

import os  # noqa: E402

from engine.evaluate.statistics import paired_by_id, points  # noqa: E402
from engine.optimizers.finetune import training_params  # noqa: E402
from engine.runs import (  # noqa: E402
    create_run,
    events,
    get_run,
    load_spec,
    run_model_files,
    run_outcome,
    trials,
)
from engine.runs.spec import spec_from_dict  # noqa: E402
from engine.runs.worker import run_worker  # noqa: E402
from tools.sms_messages import write_project  # noqa: E402

RECORDS_FILE = RESULTS / "finetune-runs.jsonl"
OPTIMIZERS = {
    "fewshot": ("BootstrapFewShot", {}),
    "finetune": ("bootstrap_finetune", {}),
    "finetune_labels": ("bootstrap_finetune", {"train_on": "labels"}),
    "finetune_both": ("bootstrap_finetune", {"train_on": "both"}),
    "together": ("better_together", {}),
    "together_labels": ("better_together", {"train_on": "labels"}),
    "together_both": ("better_together", {"train_on": "both"}),
}
TRAINING = ("finetune", "finetune_labels", "finetune_both", "together", "together_labels",
            "together_both")  # fmt: skip
DEFAULT_STRATEGY = "p -> w -> p"  # BetterTogether's own default (DSPy's)
ENGINE = {p.name: p.default for p in training_params()}  # what a user gets: the bench's defaults
# what a record that names no such setting ran with (the trainer's defaults before 2026-11-27)
BEFORE_THE_SETTING = {"learning_rate": 1e-4, "packing": True, "loss_on": "all"}
INVOCATION = uuid.uuid4().hex[:12]  # the methods of one command share it (and their splits)


def wilson(correct: float, n: int, z: float = 1.96) -> tuple[float, float]:
    """The 95% Wilson interval of an accuracy of `correct` out of `n`."""
    if n == 0:
        return 0.0, 0.0
    p = correct / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


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


def setting(params: dict[str, Any], name: str) -> Any:
    """What a run's training setting was: as recorded, else what a record without it ran with."""
    return params.get(name, BEFORE_THE_SETTING.get(name, ENGINE.get(name)))


def label(record: dict[str, Any]) -> str:
    """A record's method as the table names it: the method, and where it differs from the
    engine's defaults its strategy, epochs, window, learning rate, schedule, packing and loss
    (`finetune_labels (2 epochs, learning rate 0.0001, rows packed)`)."""
    params = record.get("params", {})
    notes = [params["strategy"]] if params.get("strategy") else []
    if record["method"] in TRAINING:
        if setting(params, "epochs") != ENGINE["epochs"]:
            notes.append(f"{params['epochs']} epochs")
        if params.get("exclude_demos") is False:
            notes.append("rows with demos")
        if setting(params, "window") != ENGINE["window"]:
            notes.append(f"{params['window']}-token windows")
        if setting(params, "learning_rate") != ENGINE["learning_rate"]:
            notes.append(f"learning rate {setting(params, 'learning_rate'):g}")
        if setting(params, "lr_schedule") != ENGINE["lr_schedule"]:
            notes.append(f"{params['lr_schedule']} schedule")
        if setting(params, "warmup"):
            notes.append(f"{params['warmup']:.0%} warm-up")
        if setting(params, "packing") != ENGINE["packing"]:
            notes.append("rows packed" if setting(params, "packing") else "a row a window")
        if setting(params, "loss_on") != ENGINE["loss_on"]:
            notes.append("loss on every token" if setting(params, "loss_on") == "all"
                         else f"loss on the {setting(params, 'loss_on')}")  # fmt: skip
    return record["method"] + (f" ({', '.join(notes)})" if notes else "")


def points_range(comparison: dict[str, Any] | None) -> str:
    """`+12 [-5, +30]`: a paired difference in points with its 95% interval, or a dash."""
    if not comparison or comparison.get("diff") is None or comparison.get("ci_low") is None:
        return "—"
    return f"{points(comparison['diff'])} [{points(comparison['ci_low'])}, " + (
        f"{points(comparison['ci_high'])}]"
    )


def fewshot_of(record: dict[str, Any], records: list[dict[str, Any]]) -> tuple[dict, bool]:
    """The BootstrapFewShot run a method is paired with: the one of the same command (same
    splits, same code), else the dataset's latest (False: from another run)."""
    same = [r for r in records if r["method"] == "fewshot" and r.get("invocation")
            and r.get("invocation") == record.get("invocation")]  # fmt: skip
    if same:
        return same[-1], True
    other = [r for r in records if r["method"] == "fewshot" and r["dataset"] == record["dataset"]]
    return (other[-1] if other else {}), False


def check_text(r: dict[str, Any]) -> str:
    """The run's check on its validation rows: start → result, and whether the start came back."""
    if r.get("val_base") is None or r.get("val_method") is None or r["method"] == "fewshot":
        return "—"
    kept = "; **the start kept**" if r.get("kept_start") else ""
    return f"{100 * r['val_base']:.0f}% → {100 * r['val_method']:.0f}%{kept}"


def report(records: Path) -> str:
    """The results tables from the records file (the last record per dataset and method)."""
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    every = [json.loads(line) for line in records.read_text().splitlines()]
    for record in every:
        latest[(record["dataset"], label(record))] = record
    rows = []
    order = sorted(latest.items(), key=lambda kv: (
        kv[0][0], list(OPTIMIZERS).index(kv[1]["method"]), kv[0][1]))  # fmt: skip
    bases: dict[str, set[float]] = {}
    for (dataset, _), r in order:
        if r["test_base"] is not None:
            bases.setdefault(dataset, set()).add(r["test_base"])
    for (dataset, method), r in order:
        scored = [m for (d, m), x in order if d == dataset and x["test_base"] is not None]
        if scored and method == scored[0]:  # the runs' shared start
            n, acc = r["n_test"], r["test_base"]
            low, high = wilson(acc * n, n)
            same = "" if len(bases[dataset]) == 1 else f" (runs differ: {sorted(bases[dataset])})"
            rows.append([dataset, "zero-shot", "the start of every run" + same,
                         f"{100 * acc:.0f}% [{100 * low:.0f}, {100 * high:.0f}]", "—", "—", "—",
                         "—", "—", "—"])  # fmt: skip
        if r["test_method"] is None:  # the run failed: say why
            rows.append([dataset, method, r["optimizer"], "—", "—", "—", "—", f"{r['wall_s']:.0f}",
                         r.get("reason", "")[:160], r["status"]])  # fmt: skip
            continue
        n, acc = r["n_test"], r["test_method"]
        low, high = wilson(acc * n, n)
        diff = points_range({"diff": r["diff"], "ci_low": r["diff_ci"][0],
                             "ci_high": r["diff_ci"][1]})  # fmt: skip
        fewshot, same_run = fewshot_of(r, every)
        vs_fewshot = "—" if method == "fewshot" or not r.get("test_scores") else points_range(
            paired_by_id(fewshot.get("test_scores") or {}, r["test_scores"]))  # fmt: skip
        if vs_fewshot != "—" and not same_run:
            vs_fewshot += " (another run's)"
        training = "—" if not r["training_steps"] else (
            f"{r['training_steps']} steps, {r['training_s']:.0f} s, "
            f"{r['tokens_per_second']:.1f} tok/s, loss {r['losses'][0]:.2f} → "
            f"{r['losses'][-1]:.2f}" + (f", {r['model_mb']} MB" if r["model_mb"] else "")
        )  # fmt: skip
        if r.get("step_scores"):  # BetterTogether: each step's program on the validation rows
            scores = [float(m.split("): ")[1].split()[0]) for m in r["step_scores"]]
            training += "; validation after each step: " + ", ".join(
                f"{100 * x:.0f}%" for x in scores)  # fmt: skip
            if not r["model_mb"]:
                training += " (a prompt-only step kept)"
        accuracy = f"{100 * acc:.0f}% [{100 * low:.0f}, {100 * high:.0f}]"
        rows.append([dataset, method, r["optimizer"], accuracy, diff, vs_fewshot,
                     check_text(r), f"{r['wall_s']:.0f}", training, r["status"]])  # fmt: skip
    header = ["data", "method", "optimizer", "held-out acc [95% Wilson]",
              "vs base, points [95% paired]", "vs fewshot, points [95% paired]",
              "validation: start → result", "wall s", "training", "status"]  # fmt: skip
    commands = sorted({r["command"] for r in latest.values()})
    commits = ", ".join(sorted({r["commit"] for r in latest.values()}))
    return "\n".join([
        "Which splits chose the default recipe and which confirmed it: bench/DATA.md. \"vs "
        "fewshot\" pairs a run with the BootstrapFewShot run of the same command (same splits, "
        "same commit), marked \"another run's\" for records from before commands were recorded. "
        "\"Validation\": the run's check of its result against the start on the validation rows "
        "(records since the check).", "",
        markdown_table(header, rows), "",
        f"Machine: {machine()}. Commit(s): {commits}.",
        "Commands:", "", *[f"    {c}" for c in commands],
    ])  # fmt: skip


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
