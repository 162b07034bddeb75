"""`python -m engine ...`: run, evaluate, export and list tuning runs from the command line.

python -m engine run sample_data/support_tickets.yaml
python -m engine runs
python -m engine export RUN_ID --format py -o program.py

The parser is in _parser.py, `run`/`resume` with the live progress in _run.py, `estimate` in
_estimate.py, the other commands in _commands.py, shared helpers in _common.py and the text layout
in _format.py; everything printed goes through _terminal.py (control characters made visible).
"""

from __future__ import annotations

import os
import sys

from engine.cli._parser import build_parser
from engine.cli._terminal import TerminalSafe
from engine.core import TunesmithError
from engine.lm.lm import use_embedded_default
from engine.runs.data import OUTSIDE_ENV

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Parse `argv` (default: sys.argv), run the command and return its exit code."""
    args = build_parser().parse_args(argv)
    use_embedded_default()  # the CLI keeps the embedded model as its default (workers inherit it)
    if not hasattr(args, "db"):
        args.db = None
    if getattr(args, "allow_outside_data", False):
        os.environ[OUTSIDE_ENV] = "1"  # the user named it on the command line (workers inherit)
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = TerminalSafe(out), TerminalSafe(err)  # text from the store: inert
    try:
        return int(args.func(args) or 0)
    except TunesmithError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        sys.stdout, sys.stderr = out, err
