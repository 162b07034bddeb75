"""`python -m engine ...`: run, evaluate, export and list tuning runs from the command line.

python -m engine run sample_data/support_tickets.yaml
python -m engine runs
python -m engine export RUN_ID --format py -o program.py
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

from engine.errors import TunesmithError

EPILOG = (
    "Docs: docs/CLI.md. The run store is $TUNESMITH_HOME/tunesmith_data/runs.db"
    " (or ./tunesmith_data/)."
)


def _store(args: argparse.Namespace) -> Any:
    from engine.runs.store import RunStore

    return RunStore(args.db)


def _db_path(args: argparse.Namespace) -> Path:
    from engine.runs.store_schema import default_db_path

    return Path(args.db) if args.db else default_db_path()


def cmd_validate(args: argparse.Namespace) -> int:
    from engine.runs import load_spec, validate_spec_against_data

    report = validate_spec_against_data(load_spec(args.spec))
    _print_report(report)
    print("spec OK")
    return 0


def _print_report(report: Any) -> None:
    sizes = ", ".join(f"{k} {v}" for k, v in report.sizes.items())
    print(f"data: {report.rows} usable rows; {sizes}", file=sys.stderr)
    print(f"optimizer: {report.optimizer} - {report.optimizer_reason}", file=sys.stderr)
    for note in report.notes:
        print(f"note: {note}", file=sys.stderr)


def cmd_run(args: argparse.Namespace) -> int:
    from engine.runs import load_spec, validate_spec_against_data
    from engine.runs.launch import launch_run

    spec = load_spec(args.spec)
    report = validate_spec_against_data(
        spec
    )  # every data/spec problem stops here, before any LM call
    _print_report(report)
    with _store(args) as store:
        run_id = store.create_run(
            spec,
            optimizer=report.optimizer,
            optimizer_reason=report.optimizer_reason,
            sizes=report.sizes,
        )
    print(f"run {run_id} created (store: {_db_path(args)})", file=sys.stderr)
    if args.detach:
        pid = launch_run(run_id, _db_path(args), inline=False)
        print(
            f"worker started (pid {pid}); follow with `python -m engine show {run_id}`",
            file=sys.stderr,
        )
        print(run_id)
        return 0
    return _follow(args, run_id, spec.optimizer.budget.max_calls, in_process=not args.worker)


def _follow(args: argparse.Namespace, run_id: str, max_calls: int | None, in_process: bool) -> int:
    """Run (in a thread, or a detached worker) and draw progress from the store until it ends."""
    from engine.cli_format import Progress
    from engine.runs.launch import is_alive, launch_run

    db = _db_path(args)
    failure: list[BaseException] = []
    thread = None
    if in_process:

        def work() -> None:
            try:
                launch_run(run_id, db, inline=True)
            except BaseException as exc:  # noqa: BLE001  (reported below)
                failure.append(exc)

        thread = threading.Thread(target=work, name=f"run-{run_id}", daemon=True)
        thread.start()
    else:
        launch_run(run_id, db, inline=False)
    progress = Progress(sys.stderr, max_calls)
    interrupted = False
    with _store(args) as store:
        while True:
            try:
                run = store.get_run(run_id)
                progress.feed(store.events(run_id, after_seq=progress.last_seq))
                progress.draw(store.usage(run_id)["calls"])
                done = thread is not None and not thread.is_alive()
                if done or (thread is None and run["status"] not in ("queued", "running")):
                    break
                if thread is None and run["status"] in ("queued", "running") and not is_alive(run):
                    time.sleep(0.5)
                    if not is_alive(store.get_run(run_id)):
                        break
                time.sleep(0.3)
            except KeyboardInterrupt:
                if interrupted:
                    progress.close()
                    print(
                        f"\nleft run {run_id} behind; cancel with "
                        f"`python -m engine cancel {run_id}`",
                        file=sys.stderr,
                    )
                    return 130
                interrupted = True
                store.request_cancel(run_id)
                print(
                    "\ncancelling after the current trial (Ctrl-C again to stop waiting)...",
                    file=sys.stderr,
                )
        progress.close()
    if failure:
        print(f"error: {failure[0]}", file=sys.stderr)
    return _print_summary(args, run_id)


def _print_summary(args: argparse.Namespace, run_id: str) -> int:
    from engine.cli_format import summary
    from engine.runs.launch import reconcile_run

    run = reconcile_run(run_id, args.db)
    if run is None:
        print(f"error: no run {run_id!r} in {_db_path(args)}", file=sys.stderr)
        return 2
    with _store(args) as store:
        text = summary(
            run, store.usage(run_id), len(store.trials(run_id)), len(store.candidates(run_id))
        )
    print(text)
    if run["status"] == "failed" and run.get("traceback") and getattr(args, "verbose", False):
        print(run["traceback"], file=sys.stderr)
    return 1 if run["status"] == "failed" else 0


def cmd_show(args: argparse.Namespace) -> int:
    return _print_summary(args, args.run_id)


def cmd_resume(args: argparse.Namespace) -> int:
    from engine.runs.export import run_spec

    with _store(args) as store:
        run = store.get_run(args.run_id)
    if run is None:
        raise TunesmithError(f"no run {args.run_id!r} in {_db_path(args)}")
    return _follow(
        args, args.run_id, run_spec(run).optimizer.budget.max_calls, in_process=not args.worker
    )


def cmd_cancel(args: argparse.Namespace) -> int:
    with _store(args) as store:
        if store.get_run(args.run_id) is None:
            raise TunesmithError(f"no run {args.run_id!r} in {_db_path(args)}")
        store.request_cancel(args.run_id)
    print(f"cancel requested for {args.run_id}; the worker stops after its current trial")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from engine.evaluate import Evaluate
    from engine.evaluate.statistics import paired_comparison
    from engine.runs import build_metric, build_program, load_data, load_spec
    from engine.runs.worker import task_lm
    from engine.settings import settings

    spec = load_spec(args.spec)
    data = load_data(spec)
    examples = {"train": data.train, "val": data.val, "test": data.test}[args.split]
    if not examples:
        raise TunesmithError(f"the {args.split} split of {args.spec} is empty")
    program = build_program(spec)
    program.load(args.program)
    metric = build_metric(spec)
    with settings.context(lm=task_lm(spec)):
        tuned = Evaluate(devset=examples, metric=metric, num_threads=args.threads)(program)
        print(
            f"{args.program} on {args.split} (n={len(examples)}): "
            f"{tuned.score:.2f}% ({tuned.errors} errors)"
        )
        if args.baseline:
            base = Evaluate(devset=examples, metric=metric, num_threads=args.threads)(
                build_program(spec)
            )
            comp = paired_comparison(
                [r.score for r in base.rows], [r.score for r in tuned.rows], seed=spec.data.seed
            )
            verdict = "significant" if comp["significant"] else "not significant"
            print(
                f"baseline (zero-shot): {base.score:.2f}%; gain {comp['diff']:+.3f} 95% CI "
                f"[{comp['ci_low']:+.3f}, {comp['ci_high']:+.3f}] p={comp['p_value']:.4f} {verdict}"
            )
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from engine.runs.export import export_run

    text = export_run(args.run_id, args.format, args.db, args.candidate)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def cmd_runs(args: argparse.Namespace) -> int:
    from engine.cli_format import runs_table

    with _store(args) as store:
        runs = store.list_runs(limit=args.limit)
    print(json.dumps(runs, indent=2, default=str) if args.json else runs_table(runs))
    return 0


EXAMPLES = {
    "run": "examples:\n  python -m engine run sample_data/support_tickets.yaml\n"
           "  python -m engine run spec.yaml --worker      # detached worker, followed here\n"
           "  python -m engine run spec.yaml --detach      # start and return the run id",
    "validate": "example:\n  python -m engine validate sample_data/banking77.yaml",
    "eval": "example:\n  python -m engine export RUN_ID -f json -o program.json\n"
            "  python -m engine eval spec.yaml --program program.json --baseline",
    "export": "examples:\n  python -m engine export RUN_ID --format py -o program.py\n"
              "  python -m engine export RUN_ID --format prompt",
    "runs": "example:\n  python -m engine runs --limit 10",
    "show": "example:\n  python -m engine show RUN_ID",
    "resume": "example:\n  python -m engine resume RUN_ID",
    "cancel": "example:\n  python -m engine cancel RUN_ID",
}  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m engine", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Tunesmith: build and tune LM pipelines from a project spec (YAML/JSON).\n\n"
        "Typical flow: validate a spec, run it (optimize + held-out test comparison), list runs,\n"
        "export the tuned program as JSON, a standalone script or its final prompts.",
        epilog="quick start:\n  python -m engine run sample_data/support_tickets.yaml\n"
        "  python -m engine runs\n  python -m engine export RUN_ID --format py\n\n" + EPILOG,
    )  # fmt: skip
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    db = argparse.ArgumentParser(add_help=False)
    db.add_argument("--db", help="run store file (default: $TUNESMITH_HOME/tunesmith_data/runs.db)")

    def add(
        name: str, summary: str, description: str, store: bool = True
    ) -> argparse.ArgumentParser:
        return sub.add_parser(
            name,
            parents=[db] if store else [],
            help=summary,
            description=description,
            epilog=EXAMPLES[name] + "\n\n" + EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    p = add(
        "run",
        "validate a spec, run it, print baseline vs best on test",
        "Validate SPEC against its data (no LM call happens before that passes), create a run,\n"
        "optimize with a live progress line on stderr, then score the baseline and the best\n"
        "program"
        " on the held-out test split and print the gain with its 95% CI and p-value.\n"
        "Ctrl-C cancels cleanly after the current trial (the best program so far is kept).",
    )
    p.add_argument("spec", help="project spec (.yaml or .json)")
    p.add_argument(
        "--worker", action="store_true", help="run in a detached worker process and follow it"
    )
    p.add_argument(
        "--detach", action="store_true", help="start a detached worker, print the run id and exit"
    )
    p.add_argument(
        "-v", "--verbose", action="store_true", help="print the traceback of a failed run"
    )
    p.set_defaults(func=cmd_run)

    p = add(
        "validate",
        "check a spec and its data without any LM call",
        "Check SPEC (fields, wiring, metric, models, optimizer, budget) and its data\n"
        "(CSV present, "
        "not empty, mapped and label columns present, split sizes); print the split sizes and the\n"
        "optimizer that will run (for `auto`: which one and why). Exit code 2 on a problem.",
        store=False,
    )
    p.add_argument("spec", help="project spec (.yaml or .json)")
    p.set_defaults(func=cmd_validate)

    p = add(
        "eval",
        "score a saved program on a split of a spec's data",
        "Load a program state (JSON from `export --format json` or program.save()) into SPEC's\n"
        "pipeline and score it with SPEC's metric and task model on a split of SPEC's data.",
        store=False,
    )
    p.add_argument("spec", help="project spec (.yaml or .json)")
    p.add_argument("--program", required=True, help="program state JSON file")
    p.add_argument(
        "--split",
        choices=("test", "val", "train"),
        default="test",
        help="which split (default test)",
    )
    p.add_argument(
        "--baseline", action="store_true", help="also score the zero-shot pipeline and compare"
    )
    p.add_argument(
        "--threads", type=int, default=None, help="parallel examples (default: settings)"
    )
    p.set_defaults(func=cmd_eval)

    p = add(
        "export",
        "export a run's program, code, prompts, spec or results",
        "Write one artifact of a run to stdout (or -o FILE). Never includes API keys.\n"
        "  json    program state, loadable with Module.load() here and with dspy's load()\n"
        "          for a program of the same shape\n"
        "  py      standalone script rebuilding the pipeline and loading the tuned state\n"
        "  prompt  the final prompt of each predictor (chat format, placeholder inputs)\n"
        "  spec    the run's project spec as YAML\n"
        "  csv     per-example results of every trial",
    )
    p.add_argument("run_id", help="run id (see `python -m engine runs`)")
    p.add_argument(
        "--format",
        "-f",
        choices=("json", "py", "prompt", "spec", "csv"),
        default="json",
        help="what to export (default json)",
    )
    p.add_argument("--candidate", help="a candidate hash instead of the best program")
    p.add_argument("--output", "-o", help="write to this file instead of stdout")
    p.set_defaults(func=cmd_export)

    p = add(
        "runs",
        "list runs (newest first)",
        "List the runs in the store: status, optimizer, validation score baseline->best, held-out\n"
        "test score baseline->best with the p-value of the gain, start time and duration.",
    )
    p.add_argument("--limit", type=int, default=30, help="how many runs (default 30)")
    p.add_argument("--json", action="store_true", help="JSON instead of a table")
    p.set_defaults(func=cmd_runs)

    p = add(
        "show", "print a run's summary", "Print the summary of one run (as `run` does at the end)."
    )
    p.add_argument("run_id", help="run id")
    p.add_argument(
        "-v", "--verbose", action="store_true", help="print the traceback of a failed run"
    )
    p.set_defaults(func=cmd_show)

    p = add(
        "resume",
        "continue a failed/interrupted run from what is stored",
        "Start a run's worker again. Trials and example results already stored are reused,\n"
        "LM calls "
        "already made come from the disk cache; numbering continues. Finished runs are left alone.",
    )
    p.add_argument("run_id", help="run id")
    p.add_argument(
        "--worker", action="store_true", help="run in a detached worker process and follow it"
    )
    p.set_defaults(func=cmd_resume)

    p = add(
        "cancel",
        "ask a running run to stop after its current trial",
        "Set the run's cancel flag; its worker stops between trials and keeps the best\n"
        "program so far.",
    )
    p.add_argument("run_id", help="run id")
    p.set_defaults(func=cmd_cancel)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not hasattr(args, "db"):
        args.db = None
    try:
        return int(args.func(args) or 0)
    except TunesmithError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
