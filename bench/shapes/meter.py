"""Where the time goes: the few-shot bench's model meter, extended with a time split.

`SplitMeter` wraps the same `LocalModel.generate` as `ModelMeter` (every chat call of either
framework goes through it) and also times each llama.cpp `decode` (a batch of tokens through the
network). Per call, the decode time of the prompt tokens the model really evaluated is prompt
processing, the remaining decode time is generation (drafted tokens checked in a batch included),
and the rest of the call (rendering, tokenizing, sampling, saved-prefix copies) is "model other".
Between model calls, the process's CPU time is the framework's own work; wall time with no CPU
use is idle (waiting, or other processes holding the cores). Parse fallbacks are timed where
each framework makes them (Tunesmith `Adapter._fallback`, DSPy's JSONAdapter after a ChatAdapter
failure), model time included.
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass, fields
from typing import Any

import dspy.adapters.json_adapter as dspy_json

from bench.core.data import MODEL
from bench.core.meter import MeterReading, ModelMeter, restored_tokens
from engine.adapters.base import Adapter
from engine.lm.local import load_local_model

_local = threading.local()


def forget_closed_replies() -> None:
    """Start a leg without the closed replies' logits an earlier leg left in the embedded model
    (`engine.lm.local._closed_logits`). Only Tunesmith's legs make closed replies, so keeping them
    would favour it; the KV cache and saved prefixes are the model's, and both frameworks'
    legs find them as the leg before left them."""
    drafted = getattr(load_local_model(MODEL), "drafted", None)
    if drafted is not None:
        drafted.closed_logits.clear()


@dataclass
class Split:
    """Seconds by where they went, plus the fallback calls and the gaps' share."""

    wall: float = 0.0
    model: float = 0.0
    prompt: float = 0.0
    generation: float = 0.0
    model_other: float = 0.0
    framework: float = 0.0
    idle: float = 0.0
    fallbacks: int = 0
    fallback_seconds: float = 0.0
    fallback_model_seconds: float = 0.0
    restored_tokens: int = 0

    def __sub__(self, other: Split) -> Split:
        return Split(*(getattr(self, f.name) - getattr(other, f.name) for f in fields(self)))


class SplitMeter(ModelMeter):
    """`ModelMeter` plus the time split; `start()` / `stop()` bracket a measured phase."""

    def __init__(self) -> None:
        super().__init__()
        self.split = Split()
        self._last: tuple[float, float] | None = None  # (wall, cpu) at the end of the last call
        self._decodes: list[tuple[int, float]] = []

    def install(self) -> None:
        super().install()  # meters calls, tokens and reused prefixes
        model = load_local_model(MODEL)
        counted = model.generate
        ctx = model.llama._ctx
        decode = ctx.decode

        def timed_decode(batch: Any) -> Any:
            start = time.perf_counter()
            try:
                return decode(batch)
            finally:
                self._decodes.append((int(batch.batch.n_tokens), time.perf_counter() - start))

        def split_generate(*args: Any, **kwargs: Any) -> Any:
            self._close_gap()
            self._decodes = []
            before = self.read()
            restored = restored_tokens(model)
            start = time.perf_counter()
            out = counted(*args, **kwargs)
            seconds = time.perf_counter() - start
            delta = self.read() - before
            self._account(seconds, delta, restored_tokens(model) - restored)
            self._last = (time.perf_counter(), time.process_time())
            return out

        ctx.decode = timed_decode
        model.generate = split_generate  # type: ignore[method-assign]

    def _account(self, seconds: float, delta: MeterReading, restored: int) -> None:
        """Split one call's seconds into prompt processing, generation and the rest."""
        evaluated = delta.evaluated_prompt_tokens
        prompt = generation = 0.0
        for n_tokens, took in self._decodes:
            share = min(n_tokens, max(evaluated, 0)) / n_tokens if n_tokens else 0.0
            prompt += took * share
            generation += took * (1 - share)
            evaluated -= n_tokens
        with self._lock:
            s = self.split
            s.model += seconds
            s.prompt += prompt
            s.generation += generation
            s.model_other += max(seconds - prompt - generation, 0.0)
            s.restored_tokens += restored
            if getattr(_local, "fallback", 0):
                s.fallback_model_seconds += seconds

    def _close_gap(self) -> None:
        """Book the time since the last call: CPU used is the framework's, the rest idle."""
        if self._last is None:
            return
        wall = time.perf_counter() - self._last[0]
        cpu = min(max(time.process_time() - self._last[1], 0.0), wall)
        with self._lock:
            self.split.framework += cpu
            self.split.idle += wall - cpu
        self._last = None

    def start(self) -> tuple[Split, float]:
        forget_closed_replies()
        self._last = (time.perf_counter(), time.process_time())
        return self.read_split(), time.perf_counter()

    def stop(self, mark: tuple[Split, float]) -> Split:
        self._close_gap()
        out = self.read_split() - mark[0]
        out.wall = time.perf_counter() - mark[1]
        return out

    def read_split(self) -> Split:
        with self._lock:
            return Split(**asdict(self.split))

    def add_fallback(self, seconds: float) -> None:
        with self._lock:
            self.split.fallbacks += 1
            self.split.fallback_seconds += seconds


def time_fallbacks(meter: SplitMeter) -> None:
    """Time the parse fallbacks of both frameworks (each one's outermost fallback call):
    Tunesmith's `Adapter._fallback`, and DSPy's JSON retry, the JSONAdapter that ChatAdapter
    builds after a parse failure (`_make_json_adapter_fallback`; a run whose configuration is
    JSONAdapter makes its every call through a JSONAdapter, which is no retry)."""
    def timed(original: Any, counts: Any = lambda *args: True) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not counts(*args):
                return original(*args, **kwargs)
            depth = getattr(_local, "fallback", 0)
            _local.fallback = depth + 1
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                _local.fallback = depth
                if depth == 0:
                    meter.add_fallback(time.perf_counter() - start)

        return wrapper

    make_retry = dspy_json.ChatAdapter._make_json_adapter_fallback

    def marked_retry(self: Any) -> Any:
        retry = make_retry(self)
        retry.bench_retry = True
        return retry

    Adapter._fallback = timed(Adapter._fallback)  # type: ignore[method-assign]
    dspy_json.ChatAdapter._make_json_adapter_fallback = marked_retry  # type: ignore[method-assign]
    dspy_json.JSONAdapter.__call__ = timed(  # type: ignore[method-assign]
        dspy_json.JSONAdapter.__call__, lambda adapter, *_: getattr(adapter, "bench_retry", False)
    )
