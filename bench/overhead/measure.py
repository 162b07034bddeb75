"""The overhead bench's timing loops and scenarios: direct, via litellm, cache hits."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Any

import dspy

import engine as ts
from bench.overhead.shapes import DspyInstantBaseLM, DspyInstantEngine, Shape, TsInstantLM
from engine.lm._litellm import get_litellm

FLOOR = "floor: litellm.completion alone"


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
    """Stop the bench if `run` does not give the shape's expected prediction."""
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
