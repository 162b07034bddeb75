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

    python bench/overhead.py --calls 2000 [--write] [--profile]
"""

from __future__ import annotations

import argparse
import gc
import time
import types
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from _common import (
    command_line,
    isolate_caches,
    machine,
    markdown_table,
    median,
    quantile,
    ratio,
    today,
    write_section,
)

isolate_caches()

import dspy  # noqa: E402

import engine as ts  # noqa: E402
from engine.lm._litellm import get_litellm  # noqa: E402

warnings.simplefilter("ignore", DeprecationWarning)  # DSPy 3.4 warns on legacy plugin calls

SIMPLE_TEXT = "[[ ## answer ## ]]\nParis\n\n[[ ## completed ## ]]"
TYPED_TEXT = (
    "[[ ## category ## ]]\nbilling\n\n[[ ## urgency ## ]]\n3\n\n"
    "[[ ## needs_human ## ]]\nTrue\n\n[[ ## completed ## ]]"
)
TARGET_OVERHEAD_RATIO = 0.5
TARGET_CACHE_HIT_US = 50.0
FLOOR = "floor: litellm.completion alone"


# -- the module shapes ---------------------------------------------------------------------
class TsTriage(ts.Signature):
    """Triage a support ticket."""

    ticket: str = ts.InputField()
    history: list[str] = ts.InputField(desc="earlier messages from the customer")
    category: Literal["billing", "bug", "other"] = ts.OutputField()
    urgency: int = ts.OutputField(desc="1 (low) to 5 (high)")
    needs_human: bool = ts.OutputField()


class DspyTriage(dspy.Signature):
    """Triage a support ticket."""

    ticket: str = dspy.InputField()
    history: list[str] = dspy.InputField(desc="earlier messages from the customer")
    category: Literal["billing", "bug", "other"] = dspy.OutputField()
    urgency: int = dspy.OutputField(desc="1 (low) to 5 (high)")
    needs_human: bool = dspy.OutputField()


@dataclass(frozen=True)
class Shape:
    """One module shape: how to build it in each framework, its inputs and the LM's answer."""

    name: str
    model: str  # model name used with the instant litellm provider
    text: str
    ts_module: Callable[[], Any]
    dspy_module: Callable[[], Any]
    inputs: Callable[[int], dict[str, Any]]
    check: Callable[[Any], bool]


SHAPES = [
    Shape(
        name='Predict("question -> answer")',
        model="instant/qa",
        text=SIMPLE_TEXT,
        ts_module=lambda: ts.Predict("question -> answer"),
        dspy_module=lambda: dspy.Predict("question -> answer"),
        inputs=lambda i: {"question": f"What is the capital of France? ({i})"},
        check=lambda p: p.answer == "Paris",
    ),
    Shape(
        name="Predict(typed: 2 inputs, 3 typed outputs)",
        model="instant/triage",
        text=TYPED_TEXT,
        ts_module=lambda: ts.Predict(TsTriage),
        dspy_module=lambda: dspy.Predict(DspyTriage),
        inputs=lambda i: {
            "ticket": f"I was charged twice for order {i}.",
            "history": ["Hello?", "Any news on my refund?"],
        },
        check=lambda p: p.category == "billing" and p.urgency == 3 and p.needs_human is True,
    ),
]


# -- instant LMs -----------------------------------------------------------------------------
class TsInstantLM(ts.LM):
    """Tunesmith LM whose provider call returns a fixed text at once."""

    def __init__(self, text: str, **kwargs: Any) -> None:
        super().__init__("instant/direct", **kwargs)
        self.text = text
        self.calls = 0

    def _complete(self, messages: list[dict], params: dict) -> tuple[list[str], dict]:
        self.calls += 1
        return [self.text], {"prompt_tokens": 10, "completion_tokens": 5, "cost": 0.0}


class DspyInstantBaseLM(dspy.BaseLM):
    """DSPy legacy plugin: `forward` returns an OpenAI-shaped response object."""

    def __init__(self, text: str, **kwargs: Any) -> None:
        super().__init__("instant/direct", **kwargs)
        self.text = text
        self.calls = 0

    def forward(self, prompt: Any = None, messages: Any = None, **kwargs: Any) -> Any:
        self.calls += 1
        message = types.SimpleNamespace(content=self.text, role="assistant")
        choice = types.SimpleNamespace(message=message, finish_reason="stop", index=0)
        usage = {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
        return types.SimpleNamespace(choices=[choice], usage=usage, model=self.model)


class DspyInstantEngine:
    """DSPy 3.4 canonical custom engine: `complete(Request) -> Response`, answered at once."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.calls = 0

    def complete(self, request: Any) -> Any:
        from dspy.lm15 import Message, Response, TextPart, Usage

        self.calls += 1
        return Response(
            id=None,
            model=request.model,
            message=Message.assistant([TextPart(self.text)]),
            finish_reason="stop",
            usage=Usage(input_tokens=10, output_tokens=5, total_tokens=15),
        )

    def close(self) -> None:
        pass


def register_instant_provider() -> Callable[[], int]:
    """Register litellm provider `instant` (answers by model name); returns a call counter."""
    litellm = get_litellm()  # Tunesmith's import: offline, quiet, `local` registered
    texts = {shape.model.split("/", 1)[1]: shape.text for shape in SHAPES}
    counter = {"calls": 0}

    class InstantLLM(litellm.CustomLLM):  # type: ignore[misc, name-defined]
        def completion(self, model: str, messages: list, *args: Any, **kwargs: Any) -> Any:
            counter["calls"] += 1
            name = model.split("/", 1)[-1]
            return litellm.ModelResponse(
                model=f"instant/{name}",
                choices=[
                    litellm.Choices(
                        index=0,
                        finish_reason="stop",
                        message=litellm.Message(role="assistant", content=texts[name]),
                    )
                ],
                usage=litellm.Usage(prompt_tokens=10, completion_tokens=5, total_tokens=15),
            )

    others = [e for e in (litellm.custom_provider_map or []) if e.get("provider") != "instant"]
    litellm.custom_provider_map = [*others, {"provider": "instant", "custom_handler": InstantLLM()}]
    litellm.utils.custom_llm_setup()
    return lambda: counter["calls"]


# -- timing ----------------------------------------------------------------------------------
def time_calls(call: Callable[[int], Any], n: int, warmup: int) -> list[float]:
    """Microseconds of each of `n` calls of `call(i)`, after `warmup` untimed calls."""
    for i in range(warmup):
        call(i)
    gc.collect()
    out: list[float] = []
    clock = time.perf_counter_ns
    for i in range(n):
        start = clock()
        call(warmup + i)
        out.append((clock() - start) / 1000.0)
    return out


def interleaved(
    runners: dict[str, Callable[[int], Any]], n: int, rounds: int, warmup: int
) -> dict[str, list[float]]:
    """Time every runner `n` calls in all, split over `rounds` alternating blocks."""
    samples: dict[str, list[float]] = {name: [] for name in runners}
    per_round = max(1, n // rounds)
    for _ in range(rounds):
        for name, run in runners.items():
            samples[name] += time_calls(run, per_round, warmup)
    return samples


def module_runner(
    module: Any, shape: Shape, settings_ctx: Callable[[], Any]
) -> Callable[[int], Any]:
    """A call(i) that runs `module` on shape inputs inside the framework's LM context."""

    def run(i: int) -> Any:
        with settings_ctx():
            return module(**shape.inputs(i))

    return run


def check_module(run: Callable[[int], Any], shape: Shape, label: str) -> None:
    prediction = run(0)
    if not shape.check(prediction):
        raise SystemExit(f"{label}: unexpected prediction {prediction!r} for {shape.name}")


# -- scenarios -------------------------------------------------------------------------------
Row = tuple[str, str, list[float]]  # (scenario, runner label, samples)


def direct_overhead(shape: Shape, n: int, rounds: int, warmup: int) -> list[Row]:
    """Module calls with an instant LM, no litellm, no cache."""
    ts_lm = TsInstantLM(shape.text, cache=False)
    legacy = DspyInstantBaseLM(shape.text, cache=False)
    engine = DspyInstantEngine(shape.text)
    canonical = dspy.LM("instant/direct", engine=engine, cache=False)
    ts_mod, dspy_mod = shape.ts_module(), shape.dspy_module()
    runners = {
        "Tunesmith": module_runner(ts_mod, shape, lambda: ts.context(lm=ts_lm)),
        "DSPy BaseLM.forward": module_runner(dspy_mod, shape, lambda: dspy.context(lm=legacy)),
        "DSPy LM(engine=custom)": module_runner(
            dspy_mod, shape, lambda: dspy.context(lm=canonical)
        ),
    }
    for label, run in runners.items():
        check_module(run, shape, label)
    counts = (ts_lm.calls, legacy.calls, engine.calls)
    samples = interleaved(runners, n, rounds, warmup)
    calls = (ts_lm.calls - counts[0], legacy.calls - counts[1], engine.calls - counts[2])
    if len(set(calls)) != 1:
        raise SystemExit(f"LM call counts differ (parse fallbacks?): {calls}")
    return [(f"{shape.name}, direct", label, s) for label, s in samples.items()]


def litellm_overhead(
    shape: Shape, n: int, rounds: int, warmup: int, provider_calls: Callable[[], int]
) -> list[Row]:
    """Module calls through litellm.completion with the instant provider, no cache."""
    ts_lm = ts.LM(shape.model, cache=False, num_retries=0)
    dspy_lm = dspy.LM(shape.model, engine="litellm", cache=False, num_retries=0)
    ts_mod, dspy_mod = shape.ts_module(), shape.dspy_module()
    litellm = get_litellm()

    def floor(i: int) -> Any:
        messages = [{"role": "user", "content": str(shape.inputs(i))}]
        return litellm.completion(model=shape.model, messages=messages, num_retries=0)

    runners = {
        "Tunesmith": module_runner(ts_mod, shape, lambda: ts.context(lm=ts_lm)),
        'DSPy LM(engine="litellm")': module_runner(
            dspy_mod, shape, lambda: dspy.context(lm=dspy_lm)
        ),
        FLOOR: floor,
    }
    for label, run in runners.items():
        if label != FLOOR:
            check_module(run, shape, label)
    before = provider_calls()
    samples = interleaved(runners, n, rounds, warmup)
    expected = 3 * (max(1, n // rounds) + warmup) * rounds
    if provider_calls() - before != expected:
        raise SystemExit(f"litellm provider calls {provider_calls() - before} != {expected}")
    return [(f"{shape.name}, via litellm", label, s) for label, s in samples.items()]


def cache_hits(shape: Shape, n: int, rounds: int, warmup: int) -> list[Row]:
    """The same request repeated with the cache on: LM-level and module-level hits."""
    ts_lm = TsInstantLM(shape.text, cache=True)
    engine = DspyInstantEngine(shape.text)
    dspy_lm = dspy.LM("instant/direct", engine=engine, cache=True)
    ts_mod, dspy_mod = shape.ts_module(), shape.dspy_module()
    inputs = shape.inputs(0)
    messages = ts.ChatAdapter().format(ts_mod.signature, [], inputs)

    def ts_module_call(_: int) -> Any:
        with ts.context(lm=ts_lm):
            return ts_mod(**inputs)

    def dspy_module_call(_: int) -> Any:
        with dspy.context(lm=dspy_lm):
            return dspy_mod(**inputs)

    runners = {
        "LM: Tunesmith": lambda _: ts_lm(messages=messages),
        "LM: DSPy": lambda _: dspy_lm(messages=messages),
        "module: Tunesmith": ts_module_call,
        "module: DSPy": dspy_module_call,
    }
    for run in runners.values():
        run(0)  # fill the caches
    before = (ts_lm.calls, engine.calls)
    samples = interleaved(runners, n, rounds, warmup)
    if (ts_lm.calls, engine.calls) != before:
        raise SystemExit(
            f"cache misses during the hit benchmark: {before} -> {ts_lm.calls, engine.calls}"
        )
    return [(f"{shape.name}, cache hit", label, s) for label, s in samples.items()]


# -- report ----------------------------------------------------------------------------------
def overhead_table(rows: list[Row]) -> str:
    """Per scenario: each runner's median/p90 µs and Tunesmith's ratio to it."""
    table = []
    ours: dict[str, float] = {}
    for scenario, label, samples in rows:
        if label == "Tunesmith":
            ours[scenario] = median(samples)
    for scenario, label, samples in rows:
        med = median(samples)
        mark = "" if label in ("Tunesmith", FLOOR) else ratio(ours[scenario], med)
        table.append([scenario, label, f"{med:.1f}", f"{quantile(samples, 0.9):.1f}", mark or "—"])
    header = ["scenario", "runner", "median µs/call", "p90 µs/call", "Tunesmith / this"]
    return markdown_table(header, table)


def cache_table(rows: list[Row]) -> str:
    table = []
    by_key = {(scenario, label): samples for scenario, label, samples in rows}
    for scenario, label, samples in rows:
        level, who = label.split(": ")
        mark = "—"
        if who == "DSPy":
            mark = ratio(median(by_key[(scenario, f"{level}: Tunesmith")]), median(samples))
        table.append(
            [
                scenario,
                level,
                who,
                f"{median(samples):.1f}",
                f"{quantile(samples, 0.9):.1f}",
                mark,
            ]
        )
    header = ["scenario", "level", "runner", "median µs", "p90 µs", "Tunesmith / DSPy"]
    return markdown_table(header, table)


def verdict(direct: list[Row], via: list[Row], hits: list[Row]) -> list[str]:
    """Target checks: overhead ≤ 0.5× DSPy's (best DSPy path), cache hit ≤ 50 µs."""
    lines = []
    for group in (direct, via):
        scenarios = sorted({row[0] for row in group})
        for scenario in scenarios:
            meds = {lab: median(s) for sc, lab, s in group if sc == scenario}
            ours = meds.pop("Tunesmith")
            base = meds.pop(FLOOR, 0.0)
            best = min(meds.values())
            r = ours / best
            ok = "meets" if r <= TARGET_OVERHEAD_RATIO else "MISSES"
            line = (
                f"- {scenario}: Tunesmith {ours:.1f} µs vs fastest DSPy path {best:.1f} µs "
                f"= {r:.2f}× ({ok} the ≤ {TARGET_OVERHEAD_RATIO}× target)"
            )
            if base:
                line += (
                    f"; above the litellm floor ({base:.0f} µs): Tunesmith {ours - base:.0f} µs "
                    f"vs DSPy {best - base:.0f} µs = {ratio(ours - base, best - base)}"
                )
            lines.append(line)
    for scenario, label, samples in hits:
        if label == "LM: Tunesmith":  # the target is about `LM(...)(messages=...)` hits
            med = median(samples)
            ok = "meets" if med <= TARGET_CACHE_HIT_US else "MISSES"
            lines.append(
                f"- {scenario} (LM level): Tunesmith {med:.1f} µs "
                f"({ok} the ≤ {TARGET_CACHE_HIT_US:.0f} µs target)"
            )
    return lines


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
    for marker in ("/site-packages/", "/work/main/", "/lib/python3"):
        if marker in file:
            return file.split(marker, 1)[1]
    return file


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--calls", type=int, default=2000, help="timed calls per runner and scenario"
    )
    parser.add_argument("--rounds", type=int, default=4, help="alternating blocks per runner")
    parser.add_argument("--warmup", type=int, default=50, help="untimed calls per block")
    parser.add_argument(
        "--write", action="store_true", help="write the section in docs/BENCHMARKS.md"
    )
    parser.add_argument("--profile", action="store_true", help="also print a cProfile of Tunesmith")
    args = parser.parse_args()

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
        write_section("overhead", "Engine overhead and cache hits", body)


def doc_body(
    args: argparse.Namespace, overhead_md: str, cache_md: str, checks: list[str], profile_md: str
) -> str:
    profile = f"\n### Where Tunesmith's time goes\n\n{profile_md}\n" if profile_md else ""
    return f"""
**What is measured.** Framework time per call, with an LM that answers instantly with a fixed,
valid chat-adapter response (so no model time at all): prompt building, the LM layer,
bookkeeping (history, usage), parsing and casting. Two module shapes, `Predict("question ->
answer")` and a typed signature (2 inputs incl. a `list[str]`, outputs `Literal`, `int`,
`bool`). *direct*: no litellm; Tunesmith uses an `LM` subclass overriding `_complete`; DSPy
3.4.1 is measured both as a `BaseLM` subclass overriding `forward` (legacy plugin path) and as
`dspy.LM(engine=<custom engine>)` (the 3.4 canonical `complete(Request) -> Response` path).
*via litellm*: both call `litellm.completion` with an instant `litellm.CustomLLM` registered as
provider `instant` (DSPy with `engine="litellm"`), so litellm's own cost is included; the
"floor" row is a bare `litellm.completion` call to the same provider, which neither framework
can go below. Cache is
off in both. *Cache hit*: the same request repeated with the cache on (Tunesmith's memory LRU;
DSPy's memory LRU in front of diskcache, `DSPY_CACHEDIR` in a fresh temp dir), at the LM level
(`lm(messages=...)`) and the module level. {args.calls} timed calls per runner and scenario, in
{args.rounds} alternating blocks after {args.warmup} warm-up calls each; one process.

**Command:** `{command_line()}`

**Machine:** {machine()}. **Date:** {today()}.

### Per-call overhead (cache off)

{overhead_md}

### Cache hit

{cache_md}

### Targets (Tunesmith overhead ≤ {TARGET_OVERHEAD_RATIO}× DSPy's fastest path; cache hit ≤ {TARGET_CACHE_HIT_US:.0f} µs)

{chr(10).join(checks)}
{profile}"""


if __name__ == "__main__":
    main()
