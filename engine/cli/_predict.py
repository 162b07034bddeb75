"""`python -m engine predict RUN data.csv -o out.csv`: label a spreadsheet with a run's program
(the columns it writes: `engine.runs.label`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from engine.cli._output import check_output, write_output
from engine.runs.label import predict_table, read_input_csv
from engine.runs.store import store_location


def _progress(done: int, total: int) -> None:
    end = "\n" if done == total else ""
    print(f"\rlabelling: row {done}/{total}", end=end, file=sys.stderr, flush=True)


def cmd_predict(args: argparse.Namespace) -> int:
    """Label every row of CSV with RUN's program; exit code 1 if any row failed."""
    source = Path(args.csv)
    header, rows = read_input_csv(source, f"the CSV file {source}")
    reads = (source, store_location(args.db))
    if args.output:  # refused before any LM call
        check_output(args.output, reads)
    labelled = predict_table(
        args.run_id, header, rows, db_path=args.db, candidate=args.candidate,
        max_calls=args.max_calls, progress=_progress,
    )  # fmt: skip
    write_output(args.output, labelled.to_csv(), reads)
    where = f" to {args.output}" if args.output else ""
    print(
        f"labelled {len(rows) - labelled.failed} of {len(rows)} rows{where}; "
        f"{labelled.failed} failed (reason in the 'error' column); {labelled.calls} LM calls",
        file=sys.stderr,
    )
    if labelled.stopped:
        print(f"stopped early: {labelled.stopped}", file=sys.stderr)
    return 1 if labelled.failed else 0
