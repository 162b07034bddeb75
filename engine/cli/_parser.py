"""The CLI's argparse parser: every command, its options, help texts and examples."""

from __future__ import annotations

import argparse
from typing import Any

from engine.cli._commands import (
    cmd_cancel,
    cmd_eval,
    cmd_export,
    cmd_leaderboard,
    cmd_matrix,
    cmd_runs,
    cmd_show,
    cmd_summary,
    cmd_validate,
)
from engine.cli._estimate import cmd_estimate
from engine.cli._import import cmd_import
from engine.cli._optimizers import cmd_optimizers
from engine.cli._predict import cmd_predict
from engine.cli._run import cmd_resume, cmd_run
from engine.cli._versions import cmd_versions

EPILOG = (
    "Docs: docs/CLI.md. The run store is $TUNESMITH_HOME/tunesmith_data/runs.db"
    " (or ./tunesmith_data/)."
)


EXAMPLES = {
    "run": "examples:\n  python -m engine run sample_data/support_tickets.yaml\n"
           "  python -m engine run spec.yaml --worker      # detached worker, followed here\n"
           "  python -m engine run spec.yaml --detach      # start and return the run id",
    "validate": "example:\n  python -m engine validate sample_data/banking77.yaml",
    "estimate": "examples:\n  python -m engine estimate sample_data/support_tickets.yaml\n"
                "  python -m engine estimate spec.yaml --pilot 4   # measure on 4 rows first",
    "eval": "example:\n  python -m engine export RUN_ID -f json -o program.json\n"
            "  python -m engine eval spec.yaml --program program.json --baseline",
    "export": "examples:\n  python -m engine export RUN_ID --format py -o program.py\n"
              "  python -m engine export RUN_ID --format prompt",
    "predict": "examples:\n  python -m engine predict RUN_ID data.csv -o labelled.csv\n"
               "  python -m engine predict --project 'Support tickets' data.csv -o out.csv\n"
               "  python -m engine predict RUN_ID data.csv --candidate HASH --max-calls 200",
    "versions": "examples:\n  python -m engine versions 'Support tickets'\n"
                "  python -m engine versions 'Support tickets' --add RUN_ID\n"
                "  python -m engine versions 'Support tickets' --use 1   # roll back to v1",
    "summary": "example:\n  python -m engine summary RUN_ID -o summary.html",
    "leaderboard": "examples:\n  python -m engine leaderboard RUN_ID --model openai/gpt-4o-mini\n"
                   "  python -m engine leaderboard RUN_ID --model openai/gpt-4o-mini --json\n"
                   "  python -m engine leaderboard RUN_ID --model openai/served "
                   "--api-base http://127.0.0.1:8080/v1\n"
                   "  python -m engine leaderboard RUN_ID --model local/smollm2-135m-q4_1 "
                   "--retune 0.5",
    "matrix": "examples:\n  python -m engine matrix RUN_ID -o matrix.csv\n"
              "  python -m engine matrix RUN_ID --top 5 --subset test\n"
              "  python -m engine matrix RUN_ID --models -o across-models.csv",
    "runs": "example:\n  python -m engine runs --limit 10",
    "show": "example:\n  python -m engine show RUN_ID",
    "resume": "example:\n  python -m engine resume RUN_ID",
    "cancel": "example:\n  python -m engine cancel RUN_ID",
    "optimizers": "example:\n  python -m engine optimizers --all",
    "import": "examples:\n  python -m engine import program.json --signatures program.py "
              "--csv data.csv -o spec.yaml\n  python -m engine import program.json --signature "
              "'question -> answer' --csv data.csv",
}  # fmt: skip
# arguments several commands take: (names, options)
SHARED: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    "spec": (("spec",), {"help": "project spec (.yaml or .json)"}),
    "worker": (("--worker",), {
        "action": "store_true", "help": "run in a detached worker process and follow it"}),
    "verbose": (("-v", "--verbose"), {
        "action": "store_true", "help": "print the traceback of a failed run"}),
    "outside": (("--allow-outside-data",), {
        "action": "store_true",
        "help": "read data.csv / data.test_csv even when they lie outside the spec's folder"}),
    "candidate": (("--candidate",), {"help": "a candidate hash instead of the best program"}),
    "output": (("--output", "-o"), {"help": "write to this file instead of stdout"}),
}  # fmt: skip


def _share(text: str) -> float:
    """A budget share (above 0, at most 1)."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a share above 0 and at most 1: e.g. 0.5")
    return value


def shared(parser: argparse.ArgumentParser, *keys: str) -> None:
    """Add the SHARED arguments named by `keys`, in that order."""
    for key in keys:
        names, options = SHARED[key]
        parser.add_argument(*names, **options)


def build_parser() -> argparse.ArgumentParser:
    """The `python -m engine` parser; each command sets `func` to its handler."""
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
        name: str, func: Any, summary: str, description: str, store: bool = True
    ) -> argparse.ArgumentParser:
        command = sub.add_parser(
            name,
            parents=[db] if store else [],
            help=summary,
            description=description,
            epilog=EXAMPLES[name] + "\n\n" + EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        command.set_defaults(func=func)
        return command

    p = add(
        "run", cmd_run,
        "validate a spec, run it, print baseline vs best on test",
        "Validate SPEC against its data (no LM call happens before that passes), create a run,\n"
        "optimize with a live progress line on stderr, then score the baseline and the best\n"
        "program"
        " on the held-out test split and print the gain with its 95% CI and p-value.\n"
        "Ctrl-C cancels cleanly after the current trial (the best program so far is kept).",
    )
    shared(p, "spec", "worker")
    p.add_argument(
        "--detach", action="store_true", help="start a detached worker, print the run id and exit"
    )
    shared(p, "verbose", "outside")

    p = add(
        "validate", cmd_validate,
        "check a spec and its data without any LM call",
        "Check SPEC (fields, wiring, metric, models, optimizer, budget) and its data\n"
        "(CSV present, "
        "not empty, mapped and label columns present, split sizes); print the split sizes and the\n"
        "optimizer that will run (for `auto`: which one and why). Exit code 2 on a problem.",
        store=False,
    )
    shared(p, "spec", "outside")

    p = add(
        "optimizers", cmd_optimizers,
        "list the optimizers a spec may name, with their parameters",
        "Every optimizer this engine knows (built in, or a plugin registered through the\n"
        "tunesmith.optimizers entry point or $TUNESMITH_OPTIMIZERS): the names a spec's\n"
        "optimizer.name may use, what it does, the model roles it uses and its parameters.",
        store=False,
    )
    p.add_argument("--all", action="store_true", help="every declared parameter, not only the main")

    p = add(
        "estimate", cmd_estimate,
        "forecast a run's LM calls (optionally measured by a pilot)",
        "Validate SPEC and print the forecast of its run: LM calls by role, tokens, the\n"
        "held-out scoring, and how the forecast was made. No LM call, unless --pilot N: then the\n"
        "program first runs on N training rows with the task LM (GEPA and SIMBA use what it\n"
        "measured; the run gets those calls back from the cache).",
        store=False,
    )
    shared(p, "spec")
    p.add_argument("--pilot", type=int, default=0, metavar="N", help="measure on N rows first")
    p.add_argument("--json", action="store_true", help="the whole pre-flight as JSON")

    p = add(
        "eval", cmd_eval,
        "score a saved program on a split of a spec's data",
        "Load a program state (JSON from `export --format json` or program.save()) into SPEC's\n"
        "pipeline and score it with SPEC's metric and task model on a split of SPEC's data.",
        store=False,
    )
    shared(p, "spec")
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
    shared(p, "outside")

    p = add(
        "export", cmd_export,
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
    shared(p, "candidate", "output")

    p = add(
        "predict", cmd_predict,
        "label every row of a CSV with a run's tuned program",
        "Run a run's best program (or --candidate HASH) on every row of CSV and write the rows\n"
        "with the input columns, each output field under its own name, <field>_confidence for a\n"
        "choice output (when the model reports it) and an error column: rows that fail are kept\n"
        "with the reason. Input columns are matched to the program's inputs by name (or by the\n"
        "spec's data.columns). Progress on stderr; exit code 1 if any row failed.\n"
        "With --project NAME instead of RUN_ID: the project's prompt version in use.",
    )
    p.add_argument("run_id", metavar="RUN_ID", help="run id (leave out with --project)")
    p.add_argument("csv", nargs="?", metavar="CSV", help="the CSV to label")
    p.add_argument("--project", help="label with this project's prompt version in use")
    shared(p, "output", "candidate")
    p.add_argument(
        "--max-calls", type=int, default=None, metavar="N",
        help="stop after N LM calls (rows left are kept, marked not run)",
    )  # fmt: skip

    p = add(
        "versions", cmd_versions,
        "list a project's prompt versions; put one in use",
        "List the prompt versions of PROJECT (a spec's name): v1 as written, then each accepted\n"
        "prompt with its held-out and validation scores, origin, run, who and when; * marks the\n"
        "one in use, which `predict --project` and the dashboard label with. --use N puts\n"
        "version N in use (roll back); --add RUN_ID records a finished run's best (or\n"
        "--candidate) as the next version and puts it in use.",
    )
    p.add_argument("project", help="the project's name (its spec's name)")
    p.add_argument("--use", type=int, metavar="N", help="put version N in use")
    p.add_argument("--add", metavar="RUN_ID", help="put this run's best (or --candidate) in use")
    shared(p, "candidate")
    p.add_argument("--json", action="store_true", help="JSON instead of a table")

    p = add(
        "summary", cmd_summary,
        "write a run's one-page summary for stakeholders (HTML)",
        "Write one HTML page about a run that opens in any browser and prints well: the task,\n"
        "the held-out result before -> after with its 95% range and verdict, the cost, a few\n"
        "rows the tuned program fixed and still gets wrong, the optimizer and its settings.\n"
        "Self-contained (no scripts, nothing fetched from elsewhere); never includes API keys.",
    )
    p.add_argument("run_id", help="run id (see `python -m engine runs`)")
    shared(p, "output")

    p = add(
        "matrix", cmd_matrix,
        "write a run's rows x candidates as CSV",
        "Write every scored row of a run with each candidate's answer, score and the metric's\n"
        "reason side by side (CSV, cells that would start a formula neutralised). Candidates:\n"
        "the start and the best by default, --top N by validation score, or --candidates.\n"
        "--models adds each model of the run's last leaderboard (its best prompt), on the rows\n"
        "the models were scored on.",
    )
    p.add_argument("run_id", help="run id (see `python -m engine runs`)")
    p.add_argument("--candidates", help="candidate hashes, comma-separated: this run's, or "
                   "another run's as RUN:HASH (scored on the same rows)")  # fmt: skip
    p.add_argument("--top", type=int, help="the N candidates with the best validation score")
    p.add_argument("--subset", choices=("val", "test"),
                   help="validation rows (the default) or held-out test rows")  # fmt: skip
    p.add_argument("--models", action="store_true",
                   help="add the models of the run's last leaderboard as columns (their rows)")
    shared(p, "output")

    p = add(
        "leaderboard", cmd_leaderboard,
        "score a run's program on other models, on the same rows",
        "Score the run's best program (or --candidate) on its held-out rows with the run's own\n"
        "model and with each --model, every call fresh (no cache): the score, the paired 95%\n"
        "range of its difference with the first model, tokens and dollars per 1,000 rows,\n"
        "latency per row (p50, p95) and the rows without a usable answer. Keys come from the\n"
        "environment; every model is checked before any call. The board is kept with the run\n"
        "(`matrix RUN --models` then shows each model's answers row by row).",
    )
    p.add_argument("run_id", help="run id (see `python -m engine runs`)")
    p.add_argument("--model", action="append", required=True,
                   help="a model to try (repeat for several), as a spec names it")  # fmt: skip
    p.add_argument("--api-base", help="the endpoint of the --model(s) that are not embedded")
    p.add_argument("--subset", choices=("test", "val"), default="test",
                   help="held-out rows (default) or validation rows")  # fmt: skip
    p.add_argument("--json", action="store_true", help="print the standings as JSON")
    p.add_argument("--retune", type=_share, metavar="SHARE",
                   help="also tune the task again on each --model with this share of the run's "
                   "budget (e.g. 0.5), here, and score that program too")  # fmt: skip
    shared(p, "candidate")

    p = add(
        "import", cmd_import, "bring in a program saved by DSPy as a project spec",
        "Make a project spec from a program saved by DSPy 3 (program.save('program.json')) and\n"
        "its signatures: its .py file, read and never run (only imports of dspy, typing,\n"
        "pydantic and enum, classes and constants), or one --signature string per predictor.\n"
        "Steps, fields, instructions and demos are the program's; the data is --csv, its\n"
        "columns named after the program's inputs and outputs. Nothing is written on a problem.",
        store=False,
    )
    p.add_argument("program", help="the program's saved JSON")
    p.add_argument("--signatures", help="the program's .py file (read, never run)")
    p.add_argument("--signature", action="append", help="a signature string (one per predictor)")
    p.add_argument("--csv", required=True, help="the examples (a CSV file)")
    p.add_argument("--name", help="the project's name")
    shared(p, "output")

    p = add(
        "runs", cmd_runs,
        "list runs (newest first)",
        "List the runs in the store: status, optimizer, validation score baseline->best, held-out\n"
        "test score baseline->best with the p-value of the gain, start time and duration.",
    )
    p.add_argument("--limit", type=int, default=30, help="how many runs (default 30)")
    p.add_argument("--json", action="store_true", help="JSON instead of a table")

    p = add(
        "show", cmd_show, "print a run's summary",
        "Print the summary of one run (as `run` does at the end).",
    )
    p.add_argument("run_id", help="run id")
    shared(p, "verbose")

    p = add(
        "resume", cmd_resume,
        "continue a failed/interrupted run from what is stored",
        "Start a run's worker again. Trials and example results already stored are reused,\n"
        "LM calls "
        "already made come from the disk cache; numbering continues. Finished runs are left alone.",
    )
    p.add_argument("run_id", help="run id")
    shared(p, "worker")

    p = add(
        "cancel", cmd_cancel,
        "ask a running run to stop after its current trial",
        "Set the run's cancel flag; its worker stops between trials and keeps the best\n"
        "program so far.",
    )
    p.add_argument("run_id", help="run id")
    return parser
