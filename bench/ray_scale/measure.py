"""Evaluations per second of one run's rows on 1, 2, 4 ... Ray actors.

    python -m bench.ray_scale [--actors 1 2 4] [--rows 160] [--threads 4] [--latency 0.5]
                              [--max-concurrent 12] [--address ADDRESS]
    python -m bench.ray_scale --embedded [--actors 1 2] [--rows 24]

Hosted (default): the task LM is the fake OpenAI-compatible server on 127.0.0.1
(bench/core/fake_openai_server.py) with `--latency` per request and a rate limit of
`--max-concurrent` requests in flight (429 with Retry-After beyond it). Each actor keeps
`--threads` rows in flight; all actors share one budget and one rate limit (the run's keeper
actor), exactly as a worker with `TUNESMITH_RAY` does: rows go through `parallel_map` with the
pool as its offload, the evaluation loop's own path. "0 actors" is the same rows on threads in
this process (no Ray). `--embedded`: the embedded model instead, one row at a time per actor.

Without `--address` a local Ray cluster is started for the bench (127.0.0.1 only, as many
CPUs as the machine has); with it, the bench joins that cluster. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.core.fake_openai_server import FakeOpenAI
from engine.core import parallel_map, settings
from engine.lm import LM
from engine.optimizers.spine._trial_rows import RowJob
from engine.runs.cluster import RowPool, SharedBudget, start_keeper
from engine.runs.data import load_data
from engine.runs.pipeline import build_metric, build_program
from engine.runs.spec import load_spec

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_SPEC = ROOT / "sample_data" / "support_tickets.yaml"


def fake_task_lm(api_base: str, spec: Any) -> LM:
    """The task LM on the fake server (what each actor builds; uncached: every row calls)."""
    return LM("openai/fake-model", api_base=api_base, api_key="fake", cache=False)


def _rows(spec: Any, count: int) -> list[tuple[str, Any]]:
    data = load_data(spec)
    examples = [*data.train, *data.val, *data.test]
    return [(f"row-{i}", examples[i % len(examples)]) for i in range(count)]


def measure(
    spec: Any, actors: int, rows: int, threads: int, lm_factory: Any, actor_cpus: float
) -> dict[str, Any]:
    """One measurement: rows per second (and the pool's start time) with `actors` actors."""
    program, metric = build_program(spec), build_metric(spec)
    items = _rows(spec, rows)
    # an empty LM cache for each measurement (the actors get the variable from this process)
    os.environ["TUNESMITH_CACHE_DIR"] = tempfile.mkdtemp(prefix="ray-scale-cache-")
    job = RowJob(program, metric, "bench")
    started = time.perf_counter()
    pool = keeper = None
    if actors > 0:
        keeper = start_keeper(f"bench-{os.getpid()}-{actors}", None)
        budget = SharedBudget(keeper)
        pool = RowPool(
            spec.to_dict(), str(spec.base_dir), budget, actors=actors, actor_cpus=actor_cpus,
            lm_factory=lm_factory,
        )  # fmt: skip
        context = settings.context(budget=budget)
    else:
        context = settings.context(lm=lm_factory(spec))
    ready = time.perf_counter() - started
    try:
        with context:
            start = time.perf_counter()
            outcomes = parallel_map(job, items, threads, offload=pool)
            elapsed = time.perf_counter() - start
    finally:
        if pool is not None:
            import ray

            pool.close()
            ray.kill(keeper)
    failed = sum(1 for row, error in outcomes if row is None or row.error)
    return {"actors": actors, "rows": rows, "seconds": round(elapsed, 2),
            "per_second": round(rows / elapsed, 2), "failed": failed,
            "pool_start_s": round(ready, 1)}  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ray_scale", description=__doc__)
    parser.add_argument("--actors", type=int, nargs="+", default=None)
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--threads", type=int, default=4, help="rows in flight per actor")
    parser.add_argument("--latency", type=float, default=0.5)
    parser.add_argument("--max-concurrent", type=int, default=12)
    parser.add_argument("--embedded", action="store_true", help="the embedded model instead")
    parser.add_argument("--address", help="a Ray cluster to join (default: start a local one)")
    args = parser.parse_args(argv)
    actors = args.actors or ([1, 2] if args.embedded else [0, 1, 2, 4])
    rows = args.rows or (24 if args.embedded else 160)
    spec = load_spec(SAMPLE_SPEC)
    _start_ray(args.address)
    if args.embedded:
        results = [measure(spec, n, rows, 1, None, 1.0) for n in actors]
        _print(results, "embedded model, 1 row at a time per actor")
        return
    with FakeOpenAI(latency=args.latency, max_concurrent=args.max_concurrent) as server:
        factory = functools.partial(fake_task_lm, server.api_base)
        results = []
        for n in actors:
            server.reset()
            result = measure(spec, n, rows, args.threads, factory, 0)
            codes = [r.status for r in server.records()]
            result.update(rejected_429=codes.count(429), max_in_flight=server.max_in_flight)
            results.append(result)
    _print(results, f"fake server: {args.latency} s a request, at most {args.max_concurrent} "
           f"in flight; {args.threads} rows in flight per actor")  # fmt: skip


def _start_ray(address: str | None) -> None:
    import ray

    if address:
        ray.init(address=address, log_to_driver=False)
        return
    sys.path.insert(0, str(ROOT / "tests"))
    from ray_cluster import start_local_ray

    start_local_ray(num_cpus=os.cpu_count() or 2)


def _print(results: list[dict[str, Any]], what: str) -> None:
    cols = list(results[0])
    lines = [f"Rows scored per second ({what}):", "", "| " + " | ".join(cols) + " |",
             "|" + "---:|" * len(cols)]  # fmt: skip
    lines += ["| " + " | ".join(str(r.get(c, "")) for c in cols) + " |" for r in results]
    sys.stdout.write("\n".join(lines) + "\n")
