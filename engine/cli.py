"""`python -m engine ...`: run, evaluate, export and list tuning runs from the command line.

python -m engine run sample_data/support_tickets.yaml
python -m engine runs
python -m engine export RUN_ID --format py -o program.py

The parser is in cli_parser.py, `run`/`resume` with the live progress in cli_run.py, the other
commands in cli_commands.py, shared helpers in cli_common.py and the text layout in cli_format.py.
"""

from __future__ import annotations

import sys

from engine.cli_commands import cmd_cancel, cmd_eval, cmd_export, cmd_runs, cmd_show, cmd_validate
from engine.cli_parser import EPILOG, EXAMPLES, build_parser
from engine.cli_run import cmd_resume, cmd_run
from engine.errors import TunesmithError

__all__ = [
    "EPILOG",
    "EXAMPLES",
    "build_parser",
    "cmd_cancel",
    "cmd_eval",
    "cmd_export",
    "cmd_resume",
    "cmd_run",
    "cmd_runs",
    "cmd_show",
    "cmd_validate",
    "main",
]


def main(argv: list[str] | None = None) -> int:
    """Parse `argv` (default: sys.argv), run the command and return its exit code."""
    args = build_parser().parse_args(argv)
    if not hasattr(args, "db"):
        args.db = None
    if getattr(args, "allow_outside_data", False):
        import os

        from engine.runs.data import OUTSIDE_ENV

        os.environ[OUTSIDE_ENV] = "1"  # the user named it on the command line (workers inherit)
    try:
        return int(args.func(args) or 0)
    except TunesmithError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
