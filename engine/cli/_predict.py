"""`python -m engine predict RUN data.csv -o out.csv`: label a spreadsheet with a run's program
(the columns it writes: `engine.runs.label`); `predict --project NAME data.csv` with the
project's prompt version in use."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from engine.cli._output import check_output, write_output
from engine.runs.label import predict_table, read_input_csv
from engine.runs.store import store_location
from engine.runs.versions import VersionError, version_in_use


def _progress(done: int, total: int) -> None:
    end = "\n" if done == total else ""
    print(f"\rlabelling: row {done}/{total}", end=end, file=sys.stderr, flush=True)


def _program(args: argparse.Namespace) -> tuple[str, str | None]:
    """(run id, candidate) to label with: RUN's (best or --candidate), or with --project the
    version in use (then the one positional argument is the CSV)."""
    if not args.project:
        if args.csv is None:
            raise VersionError("give a RUN_ID and a CSV, or --project NAME and a CSV")
        return args.run_id, args.candidate
    if args.csv is not None or args.candidate:
        raise VersionError("with --project give only the CSV (the version in use names the run)")
    args.csv = args.run_id
    version = version_in_use(args.project, args.db)
    if version is None:
        raise VersionError(
            f"The project {args.project!r} has no prompt version in use; see "
            f"`python -m engine versions {args.project!r}`, or give a RUN_ID instead."
        )
    if version.run_gone:
        raise VersionError(
            f"v{version.number} of {args.project!r}, in use, came from run {version.run_id}, "
            "which was deleted: put another version in use (`versions --use N`)."
        )
    print(f"labelling with v{version.number} of {args.project}: {version.origin}", file=sys.stderr)
    return version.run_id, version.program_candidate


def cmd_predict(args: argparse.Namespace) -> int:
    """Label every row of CSV with RUN's program (or the project's version in use); exit code 1
    if any row failed."""
    run_id, candidate = _program(args)
    source = Path(args.csv)
    header, rows = read_input_csv(source, f"the CSV file {source}")
    reads = (source, store_location(args.db))
    if args.output:  # refused before any LM call
        check_output(args.output, reads)
    labelled = predict_table(
        run_id, header, rows, db_path=args.db, candidate=candidate,
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
