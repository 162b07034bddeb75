"""Shared by the CLI commands: the run store and its path, the validation report, the summary."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from engine.cli._format import summary
from engine.runs.process import reconcile_run
from engine.runs.results import outcome_of
from engine.runs.store import RunStore, shown, store_location


def no_run(args: argparse.Namespace, run_id: str) -> str:
    """"no run 'X' in <store>": the store as `shown` gives it (a URL without its password)."""
    return f"no run {run_id!r} in {shown(store_location(args.db))}"


def print_report(report: Any) -> None:
    """Write a spec validation report (split sizes, optimizer, notes, warnings) to stderr."""
    sizes = ", ".join(f"{k} {v}" for k, v in report.sizes.items())
    print(f"data: {report.rows} usable rows; {sizes}", file=sys.stderr)
    print(f"optimizer: {report.optimizer} - {report.optimizer_reason}", file=sys.stderr)
    for note in report.notes:
        print(f"note: {note}", file=sys.stderr)
    for warning in getattr(report, "warnings", []):
        print(f"warning: {warning}", file=sys.stderr)


def print_summary(args: argparse.Namespace, run_id: str) -> int:
    """Print a run's summary (reconciling a dead worker first); exit code 1 if it failed."""
    run = reconcile_run(run_id, args.db)
    if run is None:
        print(f"error: {no_run(args, run_id)}", file=sys.stderr)
        return 2
    with RunStore(args.db) as store:
        cands = store.candidates(run_id)
        logs = [str((e.get("data") or {}).get("message", ""))
                for e in store.events(run_id, types=["log"])]  # fmt: skip
        outcome = outcome_of(run, cands, logs)
        text = summary(run, store.usage(run_id), len(store.trials(run_id)), len(cands), outcome)
    print(text)
    if run["status"] == "failed" and run.get("traceback") and getattr(args, "verbose", False):
        print(run["traceback"], file=sys.stderr)
    return 1 if run["status"] == "failed" else 0
