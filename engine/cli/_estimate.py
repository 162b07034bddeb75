"""`python -m engine estimate SPEC [--pilot N] [--json]`: the pre-flight forecast of a run."""

from __future__ import annotations

import argparse
import json

from engine.core import TunesmithError
from engine.optimizers.spine import PilotError
from engine.runs import load_spec
from engine.runs.estimate import budget_warnings, forecast_line, preflight


def row_sources(training: dict) -> str:
    """'those the metric passes', 'the training labels' or '12 passing, 20 labels'."""
    sources = training.get("rows_from") or {"traces": training["rows"], "labels": 0}
    passing, labels = sources.get("traces", 0), sources.get("labels", 0)
    if not labels:
        return "those the metric passes"
    if not passing:
        return "the training labels"
    return f"{passing} passing the metric, {labels} from the training labels"


def training_line(training: dict) -> str:
    """'~20 rows, ~4,000 tokens, 1 epoch, 8 steps of 512 tokens, ~15 minutes on this machine
    (86 tokens/s measured), ~1.8 GB of disk' (what is known of it)."""
    epochs = training["epochs"]
    parts = [
        f"up to {training['rows']} rows ({row_sources(training)})",
        f"~{training['tokens']:,} tokens",
        f"{epochs} epoch{'s' if epochs != 1 else ''}",
        f"{training['steps']} step{'s' if training['steps'] != 1 else ''} of "
        f"{training['window']} tokens",
    ]
    if training.get("minutes") is not None:
        parts.append(f"~{training['minutes']} minutes on this machine "
                     f"({training['tokens_per_second']} tokens/s measured)")  # fmt: skip
    if training.get("disk_bytes"):
        parts.append(f"~{training['disk_bytes'] / 1e9:.1f} GB of disk")
    return ", ".join(parts)


def cmd_estimate(args: argparse.Namespace) -> int:
    """Print the forecast of SPEC's run (calls by role, held-out scoring, notes)."""
    try:
        plan = preflight(load_spec(args.spec), pilot_rows=max(0, args.pilot or 0))
    except PilotError as exc:
        raise TunesmithError(str(exc)) from exc
    if args.json:
        print(json.dumps(plan, indent=2, default=str))
        return 0
    if plan.get("problems"):
        for problem in plan["problems"]:
            print(f"refused: {problem}")
        return 2
    estimate = plan["estimate"]
    roles = ", ".join(f"{role} {n}" for role, n in estimate["calls"].items())
    print(f"optimizer: {plan['optimizer']}")
    print(f"search: ~{estimate['total_calls']} LM calls ({roles}), ~{estimate['tokens']} tokens")
    print(f"held-out scoring: ~{plan['test_calls']} LM calls")
    if estimate.get("training"):
        print(f"training: {training_line(estimate['training'])}")
    print(f"likely: {forecast_line(plan['forecast'])}")
    for warning in budget_warnings(plan):
        print(f"budget: {warning}")
    flat = plan.get("plateau")
    if flat and not flat["never"]:
        print(f"plateau: {flat['words']}")
    reach = plan.get("out_of_reach")
    if reach and not reach["never"]:
        print(f"out of reach: {reach['words']}")
    if plan.get("pilot"):
        pilot = plan["pilot"]
        print(f"pilot: {pilot['rows']} rows, {pilot['calls']} LM calls in {pilot['seconds']} s")
    print(f"notes: {estimate['notes']}")
    return 0
