"""Hosted-model path: Tunesmith vs DSPy 3.4.1 against a fake OpenAI-compatible server.

The server (bench/core/fake_openai_server.py, 127.0.0.1, free port) answers every request after a
fixed latency and rejects requests over its concurrency limit with 429 + Retry-After. Both
frameworks run the same work through litellm with the same num_threads and caches off: an
Evaluate of `--rows` rows and BootstrapFewShotWithRandomSearch on the support tickets. The
server's records give wall time, calls, throughput, concurrency, idle slots and 429s.

    python -m bench.hosted --latency 0.3 --limit 16,4 --threads 8 --write
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bench.core.common import (
    REPO,
    engine_commit,
    isolate_caches,
    machine,
    ran_at,
    results_file,
    today,
    write_section,
)

isolate_caches()

from bench.core.fake_openai_server import FakeOpenAI  # noqa: E402
from bench.hosted.report import KEY, NOTES, TITLE, medians, ratio_table, results_table, section  # noqa: E402
from bench.hosted.runners import DspyRunner, TunesmithRunner, load_tickets, timed  # noqa: E402
from bench.hosted.stats import summarise  # noqa: E402

WORKS = ("evaluate", "random_search")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.3, help="seconds per request")
    parser.add_argument(
        "--limit", default="16,4", help="server's max requests in flight; a comma list runs each"
    )
    parser.add_argument("--threads", type=int, default=8, help="num_threads in both frameworks")
    parser.add_argument("--rows", type=int, default=60, help="rows for the Evaluate")
    parser.add_argument("--candidates", type=int, default=3, help="random-search candidates")
    parser.add_argument("--data", type=Path, default=REPO / "sample_data" / "support_tickets.csv")
    parser.add_argument("--works", default=",".join(WORKS), help="evaluate,random_search")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each; the median is shown")
    parser.add_argument(
        "--dspy-engine",
        default="litellm",
        help="DSPy's LM engine: litellm (as Tunesmith) or default (DSPy 3.4.1's vendored lm15)",
    )
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--write", action="store_true", help="write bench/results/hosted.md")
    parser.add_argument("--report-from", type=Path, help="re-render a --json file, no run")
    return parser.parse_args()


def warm_up(runner: object) -> None:
    """One call first, so litellm's import and client setup are not measured."""
    lm = runner.lm  # type: ignore[attr-defined]
    lm(messages=[{"role": "user", "content": "warm up"}])


def run_limit(args: argparse.Namespace, limit: int, works: list[str]) -> list[dict]:
    """Both frameworks, every work item, against one server with this limit."""
    data = load_tickets(args.data, args.rows)
    slots = min(args.threads, limit)
    out = []
    with FakeOpenAI(latency=args.latency, max_concurrent=limit) as server:
        for work, rep in [(w, r) for w in works for r in range(args.repeats)]:
            order = (TunesmithRunner, DspyRunner) if rep % 2 == 0 else (DspyRunner, TunesmithRunner)
            for make in order:
                engine = None if args.dspy_engine == "default" else args.dspy_engine
                runner = make(server.api_base, args.threads, args.candidates, engine)
                warm_up(runner)
                server.reset()
                client, begin, end = timed(server, lambda r=runner, w=work: getattr(r, w)(data))
                stats = summarise(server.records(), begin, end, slots)
                row = {"limit": limit, "rep": rep, **client.__dict__, "server": stats.to_dict()}
                out.append(row)
                s = stats
                print(
                    f"limit {limit} {work:13s} {client.framework:10s} wall {s.wall:6.2f}s "
                    f"calls {s.calls:4d} ({s.throughput:5.1f}/s) conc mean {s.mean_concurrency:.2f}"
                    f" max {s.max_concurrency} busy {100 * s.all_busy_share:3.0f}% "
                    f"idle {s.idle_slot_seconds:5.1f} slot-s 429s {s.rejected} "
                    f"retries {client.retries} unanswered {client.unanswered} "
                    f"score {client.score:.1f}{' CRASH ' + client.error if client.error else ''}",
                    flush=True,
                )
    return out


def settings_line(args: argparse.Namespace) -> str:
    return (
        f"Settings: server latency {args.latency} s per request, limit = the server's max requests "
        f"in flight (over it: 429 with Retry-After/retry-after-ms of one latency), "
        f"num_threads={args.threads} in both, LM caches off, `openai/fake-model` through litellm "
        f"(DSPy's engine: {args.dspy_engine}), "
        f"{args.rows}-row Evaluate; each run {args.repeats} times (alternating which "
        "framework goes first), the run with the median wall time shown; "
        "BootstrapFewShotWithRandomSearch("
        f"num_candidate_programs={args.candidates}, max_bootstrapped_demos=3, "
        f"max_labeled_demos=5) on 20 train / 20 val rows of `{args.data.name}`. Columns come "
        "from the server's records: calls = answered requests, mean/max conc. = requests in "
        "flight, all slots busy = share of wall time with min(num_threads, limit) requests in "
        "flight, idle slot-s = free slot-seconds during the run; retries as the client counts "
        "them (DSPy does not count them: ?); unanswered = Evaluate rows without an answer, or "
        "in the random search LM calls that failed after their retries (Tunesmith's ledger; "
        "DSPy keeps no count, shown 0: it made its usual 128 calls with the usual scores); "
        "score = Evaluate accuracy, or the best validation score."
    )


def measure_command(args: argparse.Namespace) -> str:
    """The command that measures these settings (also when re-rendering from --json)."""
    return (
        f"python -m bench.hosted --latency {args.latency} --limit {args.limit} "
        f"--threads {args.threads} --rows {args.rows} --candidates {args.candidates} "
        f"--repeats {args.repeats} --dspy-engine {args.dspy_engine} --write"
    )


def main() -> None:
    args = parse_args()
    if args.write or args.report_from:
        ran_at()  # refused from uncommitted code, before any run
    commit = engine_commit()  # the engine measured (a re-render keeps the run's)
    if args.report_from:
        stored = json.loads(args.report_from.read_text())
        results, commit = stored["results"], stored.get("commit", commit)
        args = argparse.Namespace(**{**stored["args"], "data": Path(stored["args"]["data"])})
        args.write, args.json = True, None
    else:
        limits = [int(x) for x in str(args.limit).split(",") if x.strip()]
        works = [w for w in args.works.split(",") if w in WORKS]
        results = []
        for limit in limits:
            results += run_limit(args, limit, works)
    print()
    print(results_table(medians(results)))
    print()
    print(ratio_table(medians(results)))
    if args.json:
        meta = {**vars(args), "data": str(args.data), "json": str(args.json), "report_from": None}
        stored = {"args": meta, "commit": commit, "results": results}
        args.json.write_text(json.dumps(stored, indent=1))
    if args.write:
        command = measure_command(args)
        line = machine().replace(f"Tunesmith at {engine_commit()}", f"Tunesmith at {commit}")
        body = section(medians(results), settings_line(args), command, line, today(), NOTES)
        write_section(KEY, TITLE, body, results_file("hosted"))


if __name__ == "__main__":
    sys.exit(main())
