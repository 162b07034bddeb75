"""Tables and the results sections of `python -m bench.hosted`: one per server (llama.cpp's,
the fake one)."""

from __future__ import annotations

import argparse
from typing import Any

from bench.core.common import markdown_table, ratio
from bench.core.parsing import peer_text

FAKE_NOTES = """\
What it shows (measured against the fake server before llama.cpp's own server replaced it for
the throughput rows; the 429 rows are still the fake's):

- **Pure concurrency (limit 16 > 8 threads, no 429s).** Both frameworks keep all 8 requests in
  flight (max 8 seen by the server). The Evaluate runs at parity (1.00×): 60 calls at 0.3 s
  take at least 2.25 s on 8 slots, both need 2.5 s; the gap is each worker's client time
  between two requests on 2 shared cores. In the random search Tunesmith is faster (0.50×) by
  making fewer calls (90 vs 128: racing stops scoring a candidate once it cannot beat the best)
  and by keeping more of them in flight (21.1 vs 15.0 calls/s), at the same best validation
  score.
- **Building and scoring the next candidates ahead** (`engine/optimizers/spine/_build_ahead.py`,
  `engine/core/_call_slots.py`, docs/design/build_ahead.md). On an LM that serves calls
  concurrently,
  random search keeps two candidates in preparation while it records the current one: each is
  bootstrapped and its validation rows scored ahead (`TrialRunner.prefill`), all under the one
  num_threads (the server never saw more than 8 in flight). A free slot goes to the earliest
  candidate's waiting request, so later candidates fill the slots an earlier one leaves (a
  partial round, a bootstrap's few teacher calls, a raced candidate's stop). Trials are still
  recorded in candidate order: same candidates and choice. Measured on this machine against the
  engine before it (same command, random search only, Tunesmith at 22965e1, where only the
  next candidate's bootstrap ran ahead): at limit 16 4.74 → 4.26 s (0.55× → 0.50× DSPy), all 8
  slots busy 47% → 56% of the time, idle slot-seconds 10.8 → 7.0, 90 calls both; at limit 4
  8.16 → 7.58 s (0.35× → 0.33×), all 4 busy 67% → 78%, 89 → 92 calls. Without the priority
  (slots taken in turn) the overlap bought no time: candidates scored side by side ran rows
  that one at a time would have raced away (96–103 calls, 4.54–4.73 s and 8.28 s). What is left
  idle: the first candidates' passes (nothing earlier to overlap with) and the end of the
  search.
- **Rate limit below num_threads (limit 4, 8 threads).** Before this change Tunesmith's
  workers each slept the provider's Retry-After and then collided with the requests started
  meanwhile: 47-54 429s per 60-row Evaluate and 8-10 rows out of retries (score 68-72% instead
  of 80%); the random search lost 18-24 calls and chose a worse program (best val 65-70% vs 85%)
  (same command, with engine/lm/lm.py, lm/provider.py and optimizers/bootstrap.py as of
  2375d49). Now the LM keeps a concurrency cap learned from the
  429s (`engine/lm/calls/limiter.py`: the requests still in flight when one is refused, +1 after
  4×cap successes in a row) and a worker waits for a free slot: 7 429s (the first burst and
  the probes back up), every row answered, 3.7 of 4 slots busy on average, 0.65× DSPy's wall
  time on the Evaluate and 0.35× on the random search. DSPy through litellm answers every row
  too, but its retries wait longer than a slot stays free (its retry loop waits the error's
  retry hint if it carries one, else 2^attempt s): 2.4 of 4 slots busy on average, 12 idle
  slot-seconds in 7.5 s.
- **DSPy's default engine** (`--dspy-engine default`: DSPy 3.4.1 sends `openai/...` through
  its vendored lm15 client, not litellm; same retry loop): at limit 4
  its Evaluate takes 5.4 s like Tunesmith's (0.99×) but 4 of 60 rows run out of retries (24
  429s); its random search takes 16.7 s (Tunesmith 0.56×). At limit 16: Evaluate 1.06×,
  random search 0.79× (same settings and repeats, engine at 67fbd3e: before the provider
  change below).
- Engine changes measured here: the LM's concurrency limiter (shared by the LM's copies on the
  same endpoint; a provider that never answers 429 is never capped), teacher batches by pass
  rate, litellm's own `response_cost` read instead of pricing each reply twice, and building
  and scoring the next random-search candidates ahead with prioritized call slots.
"""
LLAMA_NOTES = """\
The server is llama.cpp's own (`python -m llama_cpp.server`, llama-cpp-python's `server` extra,
bench/core/llama_server.py) on 127.0.0.1 with the embedded model's GGUF file: it runs one
request at a time and queues the rest, never answers 429, and its latency is the model's. It
keeps no per-request log, so the columns come from the client's record of every HTTP request
to it (bench/hosted/client_log.py, around httpx's send): "mean conc." is requests sent and not
yet answered (queued included), "server busy" the share of wall time with at least one
request in flight, "idle s" the time with none (the server waiting on the client). The 429
path (a rate limit below num_threads) needs a fault this server cannot make: it is measured
against the fake server (`--server fake`, section "hosted-fake")."""
SECTIONS = {
    "llama": ("hosted", "Hosted provider path: llama.cpp's own server, Tunesmith vs DSPy",
              LLAMA_NOTES),
    "fake": ("hosted-fake", "Hosted provider path under a rate limit (fake server, 429s)",
             FAKE_NOTES),
}  # fmt: skip
HEADER = (
    "limit", "work", "framework", "wall s", "calls", "calls/s", "mean conc.", "max conc.",
    "all slots busy", "idle slot-s", "429s", "retries", "unanswered", "DSPy replies unparsed",
    "score",
)  # fmt: skip
# against llama.cpp's server: one slot (the server's), no limit and no 429s to show
LLAMA_HEADER = tuple(
    {"all slots busy": "server busy", "idle slot-s": "idle s"}.get(h, h)
    for h in HEADER if h not in ("limit", "429s")
)


def medians(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per (limit, work, framework), the run with the median wall time (in first-seen order)."""
    groups: dict[tuple[Any, str, str], list[dict[str, Any]]] = {}
    for r in results:
        groups.setdefault((r["limit"], r["work"], r["framework"]), []).append(r)
    out = []
    for runs in groups.values():
        ordered = sorted(runs, key=lambda r: r["server"]["wall"])
        out.append(ordered[(len(ordered) - 1) // 2])
    return out


def _row(r: dict[str, Any]) -> list[str]:
    s = r["server"]
    retries = "?" if r["retries"] is None else str(r["retries"])
    score = f"{r['score']:.1f}%" + (" (crashed)" if r.get("error") else "")
    unparsed = "—" if r.get("replies_unparsed") is None else (
        f"{r['replies_unparsed']} (+{r.get('json_retries') or 0} JSON retries)"
    )  # fmt: skip
    return [
        str(r["limit"]), r["work"], r["framework"], f"{s['wall']:.2f}", str(s["calls"]),
        f"{s['throughput']:.1f}", f"{s['mean_concurrency']:.2f}", str(s["max_concurrency"]),
        f"{100 * s['all_busy_share']:.0f}%", f"{s['idle_slot_seconds']:.1f}", str(s["rejected"]),
        retries, str(r["unanswered"]), unparsed, score,
    ]  # fmt: skip


def results_table(results: list[dict[str, Any]], server: str = "fake") -> str:
    """Every run, one row each (against llama.cpp's server: no limit and 429 columns)."""
    if server == "fake":
        return markdown_table(HEADER, [_row(r) for r in results])
    keep = [i for i, h in enumerate(HEADER) if h not in ("limit", "429s")]
    return markdown_table(LLAMA_HEADER, [[_row(r)[i] for i in keep] for r in results])


def ratio_table(results: list[dict[str, Any]]) -> str:
    """Tunesmith / each DSPy run per (limit, work): wall time and throughput."""
    rows = []
    pairs: dict[tuple[Any, str], dict[str, dict[str, Any]]] = {}
    for r in results:
        pairs.setdefault((r["limit"], r["work"]), {})[r["framework"]] = r["server"]
    for (limit, work), by in pairs.items():
        ours = by.get("Tunesmith")
        for name, theirs in by.items():
            if ours is None or name == "Tunesmith":
                continue
            rows.append([
                "—" if limit is None else str(limit), work, name,
                ratio(ours["wall"], theirs["wall"]),
                ratio(ours["throughput"], theirs["throughput"]),
                f"{ours['mean_concurrency']:.2f} / {theirs['mean_concurrency']:.2f}",
            ])  # fmt: skip
    header = ("limit", "work", "DSPy run", "wall T/D", "calls/s T/D", "mean conc. T / D")
    return markdown_table(header, rows)


def settings_line(args: argparse.Namespace) -> str:
    """The settings of a run, for its section."""
    work = (
        f"num_threads={args.threads} in both, LM caches off, through litellm (DSPy's engine: "
        f"{args.dspy_engine}), {args.rows}-row Evaluate; each run {args.repeats} times "
        "(alternating which framework goes first), the run with the median wall time shown; "
        f"BootstrapFewShotWithRandomSearch(num_candidate_programs={args.candidates}, "
        f"max_bootstrapped_demos=3, max_labeled_demos=5) on 20 train / 20 val rows of "
        f"`{args.data.name}`. Unanswered = Evaluate rows without an answer, or in the random "
        "search LM calls that failed after their retries (Tunesmith's ledger; DSPy keeps no "
        "count, shown 0); DSPy replies unparsed = its task replies that did not parse, and the "
        "JSON retries its ChatAdapter made for them (bench/core/peer.py); score = Evaluate "
        "accuracy, or the best validation score."
    )
    if args.server == "fake":
        return (
            f"Settings: the fake server, latency {args.latency} s per request, limit = its max "
            "requests in flight (over it: 429 with Retry-After/retry-after-ms of one latency), "
            f"`openai/fake-model`, {work} Columns come from the server's records: calls = "
            "answered requests, mean/max conc. = requests in flight, all slots busy = share "
            "of wall time with min(num_threads, limit) requests in flight, idle slot-s = free "
            "slot-seconds during the run; retries as the client counts them (DSPy does not "
            "count them: ?)."
        )
    weights = getattr(args, "weights", None) or "the embedded model's GGUF file"
    threads = getattr(args, "server_threads", 2)  # runs before it was recorded: always 2
    return (
        f"Settings: llama.cpp's server on `{weights}` (n_ctx 4096, {threads} threads), reached as "
        f"`openai/smollm2-135m` with a dummy key, temperature 0, max_tokens {args.max_tokens}, "
        f"{work} Retries as the client counts them (DSPy does not count them: ?).\n\n"
        + peer_text(list(args.peer))
    )


def section(results: list[dict[str, Any]], args: argparse.Namespace, command: str, machine: str,
            day: str, notes: str) -> str:  # fmt: skip
    """A bench/results/hosted.md section body."""
    return "\n\n".join([
        f"Run on {day}: {machine}.",
        f"```bash\n{command}\n```",
        settings_line(args),
        results_table(results, args.server),
        "Tunesmith / DSPy (below 1: Tunesmith faster; above 1 for calls/s: more throughput):",
        ratio_table(results),
        notes,
    ])  # fmt: skip
