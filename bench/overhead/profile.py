"""The overhead bench's `--profile`: a cProfile of Tunesmith's call path, as a table."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import engine as ts
from bench.core.common import REPO, markdown_table
from bench.overhead.measure import module_runner
from bench.overhead.shapes import SHAPES, TsInstantLM


def profile_tunesmith(n: int, top: int = 22) -> str:
    """cProfile of Tunesmith's typed Predict call, direct and via litellm (µs per call)."""
    shape = SHAPES[1]
    direct = module_runner(
        shape.ts_module(), shape, lambda lm=TsInstantLM(shape.text, cache=False): ts.context(lm=lm)
    )
    via = module_runner(
        shape.ts_module(),
        shape,
        lambda lm=ts.LM(shape.model, cache=False, num_retries=0): ts.context(lm=lm),
    )
    parts = []
    for label, run, runs in (("direct LM", direct, n), ("via litellm", via, max(1, n // 4))):
        stats = profile_calls(run, runs)
        parts.append(
            f"cProfile, Tunesmith typed Predict, {label}, {runs} calls (the profiler inflates "
            f"times about 3×; read the shares). Engine functions by cumulative time:\n\n"
            + profile_table(stats, runs, top, engine_only=True)
        )
    return "\n\n".join(parts)


def profile_calls(run: Callable[[int], Any], n: int) -> Any:
    """cProfile stats of `n` calls of `run(i)` after 50 untimed ones."""
    import cProfile
    import pstats

    for i in range(50):
        run(i)
    profiler = cProfile.Profile()
    profiler.enable()
    for i in range(n):
        run(i)
    profiler.disable()
    return pstats.Stats(profiler)


def profile_table(stats: Any, n: int, top: int, *, engine_only: bool) -> str:
    """The `top` functions by cumulative time, per call, as a markdown table."""
    entries = []
    for (file, line, func), (_, ncalls, tottime, cumtime, _) in stats.stats.items():
        name = f"{short_path(file)}:{line}:{func}"
        if engine_only and not (name.startswith("engine/") or "litellm" in name and "cost" in func):
            continue
        entries.append((cumtime, tottime, ncalls, name))
    entries.sort(reverse=True)
    rows = [
        [name, f"{ncalls / n:.1f}", f"{1e6 * tot / n:.1f}", f"{1e6 * cum / n:.1f}"]
        for cum, tot, ncalls, name in entries[:top]
    ]
    return markdown_table(["function", "calls/call", "own µs/call", "cum µs/call"], rows)


def short_path(file: str) -> str:
    """`file` relative to site-packages, the repository or the stdlib."""
    for marker in ("/site-packages/", f"{REPO}/", "/lib/python3"):
        if marker in file:
            return file.split(marker, 1)[1]
    return file
