"""Hosted-model path: Tunesmith vs DSPy 3.4.1 against an OpenAI-compatible server on 127.0.0.1.

`--server llama` (the default): llama.cpp's own server (`python -m llama_cpp.server`,
bench/core/llama_server.py) serving the embedded model's GGUF file, so latency, batching (one
request at a time, the rest queued) and errors are a real provider's; the requests are recorded
on the client (bench/hosted/client_log.py). `--server fake`: the hand-written fake
(bench/core/fake_openai_server.py), kept for the one fault llama.cpp's server cannot make: a
429 with Retry-After over a concurrency limit (`--limit`); it records the requests itself.
Both frameworks run the same work through litellm's `openai/` provider with the same
num_threads and caches off: an Evaluate of `--rows` rows and BootstrapFewShotWithRandomSearch
on the support tickets; DSPy in each configuration of `--peer` (llama only; its default and its
best-parsing one, bench/core/peer.py). The records give wall time, calls, throughput,
concurrency, idle time and 429s.

    python -m bench.hosted --write                              # llama.cpp's server
    python -m bench.hosted --server fake --limit 4 --write      # the 429 path
    python -m bench.hosted --replies embedded,text,schema,json --rows 60 --write

`--replies`: instead, Tunesmith's untuned prompt alone, an Evaluate of `--rows` rows in each
reply format (bench/hosted/runners.py: REPLIES): its accuracy, the rows answered off the label
list, calls and wall time; in this process on the embedded model, and on llama.cpp's server.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from bench.core.common import (
    REPO,
    engine_commit,
    isolate_caches,
    machine,
    markdown_table,
    ran_at,
    results_file,
    today,
    write_section,
)

isolate_caches()

from bench.core.common import commit_line  # noqa: E402
from bench.core.fake_openai_server import FakeOpenAI  # noqa: E402
from bench.core.llama_server import LlamaServer  # noqa: E402
from bench.core.peer import DEFAULT, peer_configs  # noqa: E402
from bench.hosted.client_log import ClientLog  # noqa: E402
from bench.hosted.report import SECTIONS, medians, ratio_table, results_table, section  # noqa: E402
from bench.hosted.runners import (  # noqa: E402
    FAKE_MODEL,
    REPLIES,
    DspyRunner,
    Endpoint,
    TunesmithRunner,
    load_tickets,
    timed,
)
from bench.hosted.stats import summarise  # noqa: E402

WORKS = ("evaluate", "random_search")
DEFAULT_DATA = REPO / "sample_data" / "support_tickets.csv"
LLAMA_SLOTS = 1  # llama.cpp's server runs one request at a time (the others wait in its queue)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", choices=["llama", "fake"], default="llama")
    parser.add_argument("--latency", type=float, default=0.3, help="fake: seconds per request")
    parser.add_argument(
        "--limit", default="16,4", help="fake: max requests in flight; a comma list runs each"
    )
    parser.add_argument("--threads", type=int, default=8, help="num_threads in both frameworks")
    parser.add_argument("--rows", type=int, default=60, help="rows for the Evaluate")
    parser.add_argument("--candidates", type=int, default=3, help="random-search candidates")
    parser.add_argument("--max-tokens", type=int, default=64, help="llama: the LMs' max_tokens")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--works", default=",".join(WORKS), help="evaluate,random_search")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each; the median is shown")
    parser.add_argument(
        "--dspy-engine",
        default="litellm",
        help="DSPy's LM engine: litellm (as Tunesmith) or default (DSPy 3.4.1's vendored lm15)",
    )
    parser.add_argument(
        "--peer", default="chat,best",
        help="llama: DSPy's adapter configurations (bench/core/peer.py); the fake's replies "
        "are in ChatAdapter's format, so there DSPy runs its default only",
    )  # fmt: skip
    parser.add_argument(
        "--replies", help="llama: Tunesmith's untuned Evaluate in these reply formats "
        f"(a comma list of {', '.join(REPLIES)}) instead of the framework comparison",
    )  # fmt: skip
    parser.add_argument(
        "--shuffle",
        action="store_true",
        help="--replies: draw the rows in a seeded order (a file sorted by label)",
    )
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--write", action="store_true", help="write bench/results/hosted.md")
    parser.add_argument("--report-from", type=Path, help="re-render a --json file, no run")
    return parser.parse_args()


def warm_up(runner: object) -> None:
    """One call first, so litellm's import and client setup are not measured."""
    lm = runner.lm  # type: ignore[attr-defined]
    lm(messages=[{"role": "user", "content": "warm up"}])


def measure(args: argparse.Namespace, endpoint: Endpoint, recorder: Any, limit: int | None,
            slots: int, works: list[str], configs: list[str]) -> list[dict]:  # fmt: skip
    """Both frameworks (DSPy in each of `configs`), every work item, `args.repeats` times
    (alternating which goes first), against one server whose requests `recorder` keeps."""
    data = load_tickets(args.data, args.rows)
    engine = None if args.dspy_engine == "default" else args.dspy_engine
    out = []
    for work, rep in [(w, r) for w in works for r in range(args.repeats)]:
        makers = [lambda: TunesmithRunner(endpoint, args.threads, args.candidates, engine)]
        makers += [
            lambda c=config: DspyRunner(endpoint, args.threads, args.candidates, engine, c)
            for config in configs
        ]
        for make in makers if rep % 2 == 0 else reversed(makers):
            runner = make()
            warm_up(runner)
            recorder.reset()
            client, begin, end = timed(recorder, lambda r=runner, w=work: getattr(r, w)(data))
            s = summarise(recorder.records(), begin, end, slots)
            out.append({"limit": limit, "rep": rep, **client.__dict__, "server": s.to_dict()})
            parsing = "" if client.replies_unparsed is None else (
                f" unparsed {client.replies_unparsed} (+{client.json_retries} JSON retries)"
            )  # fmt: skip
            print(
                f"limit {limit} {work:13s} {client.framework:18s} wall {s.wall:6.2f}s "
                f"calls {s.calls:4d} ({s.throughput:5.1f}/s) conc mean {s.mean_concurrency:.2f}"
                f" max {s.max_concurrency} busy {100 * s.all_busy_share:3.0f}% "
                f"idle {s.idle_slot_seconds:5.1f} slot-s 429s {s.rejected} "
                f"retries {client.retries} unanswered {client.unanswered}{parsing} "
                f"score {client.score:.1f}{' CRASH ' + client.error if client.error else ''}",
                flush=True,
            )
    return out


def run_fake(args: argparse.Namespace, works: list[str]) -> list[dict]:
    """Against the fake server, once per `--limit`; DSPy in its default configuration."""
    results = []
    for limit in [int(x) for x in str(args.limit).split(",") if x.strip()]:
        with FakeOpenAI(latency=args.latency, max_concurrent=limit) as server:
            endpoint = Endpoint(FAKE_MODEL, server.api_base, "fake")
            slots = min(args.threads, limit)
            results += measure(args, endpoint, server, limit, slots, works, [DEFAULT])
    return results


def run_llama(args: argparse.Namespace, works: list[str]) -> list[dict]:
    """Against llama.cpp's server on the embedded model's weights, its requests logged here."""
    with LlamaServer() as server, ClientLog(server.api_base) as log:
        args.weights = server.weights.name
        args.server_threads = server.threads  # 1 or 2 by the machine's load at its start
        endpoint = Endpoint(server.model, server.api_base, server.api_key, args.max_tokens)
        return measure(args, endpoint, log, None, LLAMA_SLOTS, works, peer_configs(args.peer))


def run_replies(args: argparse.Namespace) -> list[dict]:
    """Tunesmith's untuned prompt on `--rows` rows in each reply format of `--replies`, one
    server for all (the embedded model runs in this process while the server waits)."""
    modes = [m for m in args.replies.split(",") if m in REPLIES]
    data = load_tickets(args.data, args.rows, shuffle=args.shuffle)
    out = []
    with LlamaServer() as server:
        endpoint = Endpoint(server.model, server.api_base, server.api_key, args.max_tokens)
        for mode in modes:
            runner = TunesmithRunner(endpoint, args.threads, args.candidates, None, mode)
            warm_up(runner)
            start = time.perf_counter()
            run = runner.evaluate(data)
            wall = time.perf_counter() - start
            print(f"{mode:9s} accuracy {run.score:5.1f}% off-list {run.off_list:3d}/{args.rows} "
                  f"calls {run.calls:4d} wall {wall:6.1f}s", flush=True)  # fmt: skip
            out.append({"replies": mode, **run.__dict__, "wall": wall})
    return out


def measure_command(args: argparse.Namespace) -> str:
    """The command that measures these settings (also when re-rendering from --json)."""
    common = (
        f"--threads {args.threads} --rows {args.rows} --candidates {args.candidates} "
        f"--repeats {args.repeats} --dspy-engine {args.dspy_engine}"
    )
    if args.server == "fake":
        return f"python -m bench.hosted --server fake --latency {args.latency} --limit " \
               f"{args.limit} {common} --write"  # fmt: skip
    peers = ",".join(args.peer) if isinstance(args.peer, list) else args.peer
    return f"python -m bench.hosted --max-tokens {args.max_tokens} --peer {peers} {common} --write"


def replies_main(args: argparse.Namespace, commit: str) -> None:
    """`--replies`: measure, print the table, write it (`--json`, `--write`)."""
    results = run_replies(args)
    rows = [(r["replies"], f"{r['score']:.1f}%", f"{r['off_list']}/{args.rows}", r["calls"],
             f"{r['wall']:.1f} s") for r in results]  # fmt: skip
    table = markdown_table(("replies", "accuracy", "off the label list", "calls", "wall"), rows)
    print()
    print(table)
    if args.json:
        args.json.write_text(json.dumps({"commit": commit, "results": results}, indent=1))
    if args.write:
        data = "" if args.data == DEFAULT_DATA else f" --data {args.data}"
        shuffled = " --shuffle" if args.shuffle else ""
        command = (f"python -m bench.hosted --replies {args.replies} --rows {args.rows}{data}"
                   f"{shuffled} --threads {args.threads} --max-tokens {args.max_tokens}"
                   " --write")  # fmt: skip
        body = (f"{commit_line(commit)}\n\n{machine()}, {today()}. Tunesmith's untuned prompt "
                f"on `{args.data.name}` ({args.rows} rows), max_tokens {args.max_tokens}:\n\n"
                f"{table}\n\n```bash\n{command}\n```")  # fmt: skip
        key = "hosted-replies" + ("" if args.data == DEFAULT_DATA else f"-{args.data.parent.name}")
        write_section(key, f"Reply formats on a served model: {args.data.name}", body,
                      results_file("hosted"))  # fmt: skip


def main() -> None:
    args = parse_args()
    if args.write or args.report_from:
        ran_at()  # refused from uncommitted code, before any run
    commit = engine_commit()  # the engine measured (a re-render keeps the run's)
    if args.replies:
        return replies_main(args, commit)
    if args.report_from:
        stored = json.loads(args.report_from.read_text())
        results, commit = stored["results"], stored.get("commit", commit)
        saved_args = {"server": "fake", "peer": DEFAULT, **stored["args"]}
        args = argparse.Namespace(**{**saved_args, "data": Path(saved_args["data"])})
        args.write, args.json = True, None
        args.peer = peer_configs(args.peer) if isinstance(args.peer, str) else args.peer
    else:
        works = [w for w in args.works.split(",") if w in WORKS]
        results = run_fake(args, works) if args.server == "fake" else run_llama(args, works)
        args.peer = [DEFAULT] if args.server == "fake" else peer_configs(args.peer)
    print()
    print(results_table(medians(results), args.server))
    print()
    print(ratio_table(medians(results)))
    if args.json:
        meta = {**vars(args), "data": str(args.data), "json": str(args.json), "report_from": None}
        stored = {"args": meta, "commit": commit, "results": results}
        args.json.write_text(json.dumps(stored, indent=1))
    if args.write:
        key, title, notes = SECTIONS[args.server]
        line = machine().replace(f"Tunesmith at {engine_commit()}", f"Tunesmith at {commit}")
        body = section(medians(results), args, measure_command(args), line, today(), notes)
        write_section(key, title, commit_line(commit) + "\n\n" + body, results_file("hosted"))


if __name__ == "__main__":
    sys.exit(main())
