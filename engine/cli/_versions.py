"""`python -m engine versions PROJECT`: a project's prompt versions, the one in use marked;
`--use N` puts version N in use (roll back), `--add RUN` records a run's best (or --candidate)
and puts it in use."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from dataclasses import asdict

from engine.runs.store import get_run
from engine.runs.versions import (
    THIS_MACHINE,
    Version,
    VersionError,
    add_version,
    list_versions,
    use_version,
)

MADE_BY = f"{THIS_MACHINE} (command line)"


def _score(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def versions_table(versions: list[Version]) -> str:
    """One line per version: number, in use, held-out and validation score, origin, run, who."""
    lines = [f"{'':2}{'ver':>4}  {'held-out':>8}  {'valid.':>6}  {'optimizer':<10}  origin"]
    for v in versions:
        when = dt.datetime.fromtimestamp(v.created_at).strftime("%Y-%m-%d %H:%M")
        gone = " [run deleted]" if v.run_gone else ""
        lines.append(
            f"{'*' if v.in_use else '':2}{'v' + str(v.number):>4}  {_score(v.test_score):>8}  "
            f"{_score(v.val_score):>6}  {v.optimizer[:10]:<10}  {v.origin} "
            f"(run {v.run_id}, {v.made_by}, {when}){gone}"
        )
    return "\n".join(lines + ["* in use: what `predict --project` labels with"])


def cmd_versions(args: argparse.Namespace) -> int:
    """List PROJECT's versions; with --add or --use, change the one in use first."""
    if args.add:
        run = get_run(args.add, db_path=args.db)
        if run is not None and run["name"] != args.project:
            raise VersionError(
                f"Run {args.add} belongs to the project {run['name']!r}, not {args.project!r}; "
                "nothing was changed."
            )
        added = add_version(args.add, args.candidate, made_by=MADE_BY, db_path=args.db)
        print(f"v{added.number} of {added.project} is in use")
    elif args.use is not None:
        used = use_version(args.project, args.use, db_path=args.db)
        print(f"v{used.number} of {used.project} is in use: {used.origin}")
    versions = list_versions(args.project, args.db)
    if not versions:
        raise VersionError(
            f"The project {args.project!r} has no prompt versions yet. Put a finished run's "
            f"best in use: python -m engine versions {args.project!r} --add RUN_ID"
        )
    print(json.dumps([asdict(v) for v in versions], indent=2) if args.json
          else versions_table(versions))  # fmt: skip
    return 0
