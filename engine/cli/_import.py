"""`python -m engine import program.json --signatures program.py --csv data.csv -o spec.yaml`:
a program saved by DSPy brought in as a project spec (`engine.runs.from_dspy`)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from engine.cli._output import check_output, write_output
from engine.core import TunesmithError
from engine.runs.data import validate_spec_against_data
from engine.runs.from_dspy import import_dspy


def _read(path: str, what: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise TunesmithError(f"{what} {path} not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TunesmithError(f"cannot read {what} {path}: {exc}") from None


def cmd_import(args: argparse.Namespace) -> int:
    """Write the spec of a DSPy program; nothing is written when anything is refused."""
    if bool(args.signatures) == bool(args.signature):
        raise TunesmithError(
            "give the program's signatures either as a file (--signatures program.py) or as "
            "strings (--signature 'question -> answer', once per predictor, in order)"
        )
    reads = [args.program, args.csv, *([args.signatures] if args.signatures else [])]
    folder = Path.cwd()
    if args.output:
        folder = check_output(args.output, reads).resolve().parent
    saved = _read(args.program, "the saved program")
    signatures = args.signature or _read(args.signatures, "the signatures file")
    if not Path(args.csv).is_file():
        raise TunesmithError(f"the CSV file {args.csv} not found")
    csv = os.path.relpath(Path(args.csv).resolve(), folder)
    imported = import_dspy(
        saved, signatures, csv=csv, name=args.name or "",
        saved_name=args.program, signatures_name=args.signatures or "the signatures",
    )  # fmt: skip
    spec = imported.spec.with_base_dir(folder)
    report = validate_spec_against_data(spec)  # the CSV fits the program, before writing
    write_output(args.output, spec.to_yaml(), reads)
    for note in imported.notes + list(report.warnings):
        print(f"note: {note}", file=sys.stderr)
    steps = " -> ".join(f"{s.name} ({s.module})" for s in spec.pipeline)
    demos = sum(len(s.demos) for s in spec.pipeline)
    where = f"wrote {args.output}" if args.output else "the spec is above"
    print(f"brought in {len(spec.pipeline)} steps: {steps}, with {demos} demos, "
          f"{report.rows} rows of data; {where}", file=sys.stderr)  # fmt: skip
    if args.output:
        print(f"next: python -m engine run {args.output}", file=sys.stderr)
    return 0
