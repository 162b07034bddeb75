"""The CLI commands that do not optimize: validate, eval, export, matrix, summary, runs, show,
cancel."""

from __future__ import annotations

import argparse
import json
import sys

from engine.cli._common import no_run, print_report, print_summary
from engine.cli._format import leaderboard_table, runs_table
from engine.cli._output import write_output
from engine.core import TunesmithError, settings
from engine.evaluate import Evaluate
from engine.evaluate.statistics import paired_comparison, verdict
from engine.runs import (
    build_metric,
    build_program,
    load_data,
    load_spec,
    validate_spec_against_data,
)
from engine.runs.export import export_run, matrix_csv, other_run_results
from engine.runs.pipeline import task_lm
from engine.runs.process import create_run, launch_run
from engine.runs.results import (
    leaderboard,
    model_answers,
    note_retune,
    retune_spec,
    retunes,
    save_leaderboard,
    saved_leaderboard,
    summary_html,
)
from engine.runs.spec import ProjectSpec
from engine.runs.store import RunStore, example_results, store_location


def cmd_validate(args: argparse.Namespace) -> int:
    """Check a spec and its data without any LM call."""
    report = validate_spec_against_data(load_spec(args.spec))
    print_report(report)
    n = len(report.warnings)
    print(f"spec OK, with {n} warning{'s' if n > 1 else ''} (see above)" if n else "spec OK")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    """Print one run's summary."""
    return print_summary(args, args.run_id)


def cmd_cancel(args: argparse.Namespace) -> int:
    """Set a run's cancel flag; its worker stops after the current trial."""
    with RunStore(args.db) as store:
        if store.get_run(args.run_id) is None:
            raise TunesmithError(no_run(args, args.run_id))
        store.request_cancel(args.run_id)
    print(f"cancel requested for {args.run_id}; the worker stops after its current trial")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    """Score a saved program on a split of a spec's data, optionally against the zero-shot one."""
    spec = load_spec(args.spec)
    data = load_data(spec)
    examples = {"train": data.train, "val": data.val, "test": data.test}[args.split]
    if not examples:
        raise TunesmithError(f"the {args.split} split of {args.spec} is empty")
    program = build_program(spec)
    program.load(args.program)
    metric = build_metric(spec)
    evaluate = Evaluate(devset=examples, metric=metric, num_threads=args.threads)
    with settings.context(lm=task_lm(spec)):
        tuned = evaluate(program)
        print(
            f"{args.program} on {args.split} (n={len(examples)}): "
            f"{tuned.score:.2f}% ({tuned.errors} errors)"
        )
        if args.baseline:
            base = evaluate(build_program(spec))
            comp = paired_comparison(
                [r.score for r in base.rows], [r.score for r in tuned.rows], seed=spec.data.seed
            )
            print(f"baseline (zero-shot): {base.score:.2f}%; {verdict(comp).text}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Write one artifact of a run to stdout or to `-o FILE`."""
    text = export_run(args.run_id, args.format, args.db, args.candidate)
    write_output(args.output, text, (store_location(args.db),))
    if args.output:
        print(f"wrote {args.output}", file=sys.stderr)
    return 0


def cmd_summary(args: argparse.Namespace) -> int:
    """Write a run's one-page stakeholder summary (HTML) to `-o FILE` or stdout."""
    text = summary_html(args.run_id, args.db)
    write_output(args.output, text, (store_location(args.db),))
    if args.output:
        print(f"wrote {args.output}: open it in any browser", file=sys.stderr)
    return 0


def cmd_matrix(args: argparse.Namespace) -> int:
    """Write a run's rows x candidates (answer, score, reason each) as CSV; with --models,
    also each model of the run's last leaderboard, on the rows it was scored on."""
    named = [h.strip() for h in (args.candidates or "").split(",") if h.strip()]
    chosen = [h for h in named if ":" not in h] or None  # this run's; "RUN:HASH" another's
    subset, extra = args.subset or "val", []
    if args.models:
        subset, extra = _board_columns(args.run_id, args.db, args.subset)
    extra = [*_other_runs(args, [h for h in named if ":" in h], subset), *extra]
    text = matrix_csv(args.run_id, args.db, chosen, args.top, subset, extra=extra)
    write_output(args.output, text, (store_location(args.db),))
    if args.output:
        print(f"wrote {args.output}", file=sys.stderr)
    return 0


def _other_runs(args: argparse.Namespace, keys: list[str], subset: str) -> list[dict]:
    """The results of other runs' candidates ("RUN:HASH") on this run's `subset` rows; a key
    scored on none of them is refused."""
    if not keys:
        return []
    rows = {r["example_id"] for r in example_results(args.run_id, subset=subset, db_path=args.db)}
    found = []
    for key in keys:
        theirs = other_run_results(key, subset, rows, args.db)
        if not theirs:
            raise TunesmithError(
                f"candidate {key} was not scored on any of run {args.run_id}'s {subset} rows "
                "(another split, or no such run or candidate): nothing to set beside them"
            )
        found += theirs
    return found


def _board_columns(run_id: str, db: str | None, subset: str | None) -> tuple[str, list]:
    """The subset the run's last leaderboard was scored on and its models' rows."""
    kept = saved_leaderboard(run_id, db)
    answers = model_answers(kept[0]) if kept else []
    if not answers:
        raise TunesmithError(
            f"run {run_id} has no answers from other models kept: score it first with "
            f"`python -m engine leaderboard {run_id} --model MODEL`"
        )
    board_subset = kept[1].get("subset") or "test"
    if subset not in (None, board_subset):
        raise TunesmithError(
            f"the models were scored on the run's {board_subset} rows, not its {subset} rows: "
            f"use --subset {board_subset} (or leave it out) with --models"
        )
    return board_subset, answers


def cmd_leaderboard(args: argparse.Namespace) -> int:
    """Score a run's program on the run's own model and each --model, on the same rows; with
    --retune, also the program tuned again on each model with that share of the budget."""
    # every model's spec (each model checked) before any run starts: a bad one changes nothing
    specs = {
        m: retune_spec(args.run_id, m, api_base=args.api_base, share=args.retune, db_path=args.db)
        for m in args.model
    } if args.retune else {}  # fmt: skip
    retuned = {m: _retune(args, m, spec) for m, spec in specs.items()}
    retuned = {m: run for m, run in retuned.items() if run is not None}
    standings = leaderboard(args.run_id, args.model, db_path=args.db, api_base=args.api_base,
                            subset=args.subset, candidate=args.candidate,
                            retuned=retuned)  # fmt: skip
    save_leaderboard(args.run_id, standings, args.subset, args.candidate, args.db)
    if args.json:
        print(json.dumps([s.to_dict() for s in standings], indent=2))
        return 0
    print(leaderboard_table(standings, args.subset))
    return 0


def _retune(args: argparse.Namespace, model: str, spec: ProjectSpec) -> str | None:
    """Tune the run's task again on `model` (`spec`: `retune_spec`'s) here; the new run's id,
    None when that run did not finish."""
    run_id = create_run(spec, args.db)
    note_retune(args.run_id, model, run_id, args.retune, args.db)
    print(f"tuning again on {model} with {args.retune:.0%} of the budget: run {run_id}",
          file=sys.stderr)  # fmt: skip
    launch_run(run_id, store_location(args.db), inline=True)
    [ended] = [r for r in retunes(args.run_id, args.db) if r["run"] == run_id]
    if not ended["tuned"]:
        print(f"run {run_id} ended {ended['status']}: {model} is scored with the run's program "
              "only", file=sys.stderr)  # fmt: skip
        return None
    return run_id


def cmd_runs(args: argparse.Namespace) -> int:
    """List the stored runs, newest first, as a table or JSON."""
    with RunStore(args.db) as store:
        runs = store.list_runs(limit=args.limit)
    print(json.dumps(runs, indent=2, default=str) if args.json else runs_table(runs))
    return 0
