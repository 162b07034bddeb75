"""Per-call engine overhead and cache-hit latency: Tunesmith vs DSPy 3.4.1 in one process.

The LM answers instantly with a fixed, valid chat-adapter response, so every microsecond
measured is framework time: building the prompt, calling the LM layer, bookkeeping, parsing.

Scenarios (each for `Predict("question -> answer")` and a typed 2-in/3-out signature):

- direct: no litellm. Tunesmith: an `LM` subclass overriding `_complete`. DSPy: a `BaseLM`
  subclass overriding `forward` (the 3.4 legacy plugin path) and `dspy.LM(engine=<custom
  engine>)` (the 3.4 canonical path: `complete(Request) -> Response`).
- litellm: both through `litellm.completion` with an instant `litellm.CustomLLM` registered as
  provider `instant` (Tunesmith `LM("instant/...")`, DSPy `dspy.LM("instant/...",
  engine="litellm")`), so litellm's own cost is included.
- cache hit: the same request repeated with the cache on, at the LM level
  (`lm(messages=...)`) and at the module level (`Predict(...)(...)`).

    python -m bench.overhead --calls 2000 [--write] [--profile]
"""

from __future__ import annotations

import argparse
import warnings

from bench.core.common import isolate_caches, ran_at, results_file, write_section

isolate_caches()  # before anything imports dspy or litellm

from bench.overhead.measure import Row, cache_hits, direct_overhead, litellm_overhead  # noqa: E402
from bench.overhead.profile import profile_tunesmith  # noqa: E402
from bench.overhead.report import cache_table, doc_body, overhead_table, verdict  # noqa: E402
from bench.overhead.shapes import SHAPES, register_instant_provider  # noqa: E402

warnings.simplefilter("ignore", DeprecationWarning)  # DSPy 3.4 warns on legacy plugin calls


def main() -> None:
    """Measure every shape and scenario, print the tables; `--write` updates the docs."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--calls", type=int, default=2000, help="timed calls per runner and scenario"
    )
    parser.add_argument("--rounds", type=int, default=4, help="alternating blocks per runner")
    parser.add_argument("--warmup", type=int, default=50, help="untimed calls per block")
    parser.add_argument(
        "--write", action="store_true", help="write bench/results/overhead.md"
    )
    parser.add_argument("--profile", action="store_true", help="also print a cProfile of Tunesmith")
    args = parser.parse_args()
    if args.write:
        ran_at()  # refused from uncommitted code, before any run

    provider_calls = register_instant_provider()
    direct: list[Row] = []
    via: list[Row] = []
    hits: list[Row] = []
    for shape in SHAPES:
        direct += direct_overhead(shape, args.calls, args.rounds, args.warmup)
        via += litellm_overhead(shape, args.calls, args.rounds, args.warmup, provider_calls)
        hits += cache_hits(shape, args.calls, args.rounds, args.warmup)

    overhead_md = overhead_table(direct + via)
    cache_md = cache_table(hits)
    checks = verdict(direct, via, hits)
    print("## Per-call overhead (cache off)\n")
    print(overhead_md)
    print("\n## Cache hit\n")
    print(cache_md)
    print("\n## Targets\n")
    print("\n".join(checks))
    profile_md = ""
    if args.profile:
        profile_md = profile_tunesmith(min(args.calls, 2000))
        print("\n" + profile_md)
    if args.write:
        body = doc_body(args, overhead_md, cache_md, checks, profile_md)
        write_section("overhead", "Engine overhead and cache hits", body, results_file("overhead"))


if __name__ == "__main__":
    main()
