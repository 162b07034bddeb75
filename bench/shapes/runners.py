"""Run one shape case in one framework: compile with `--optimizer`, score the held-out rows.

Both frameworks reuse the few-shot bench's runners (LM settings, counters, phases); only the
program, the metric and the rows change per case. A leg whose compile or evaluation raises is
recorded as died (error type and one line of message) instead of stopping the run. A
multi-step case's program comes from bench/shapes/chain.py, with its step view in the leg.
`calls` are the model's calls as metered (LM copies an optimizer makes included, in both
frameworks); `framework_calls` what the framework's own counters saw. With `--server` both
frameworks call llama.cpp's server instead (`args.served`: model, api_base, api_key): the
in-process meter sees none of it, so `calls` are the frameworks' own counts, tokens and the
model's share of the time are not measured, and the time the process waits is "idle".
Imported after `bench.core.common.isolate_caches()`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import dspy

import engine as ts
from bench.core.meter import MeterReading
from bench.core.parsing import ParseCounts, parse_delta
from bench.core.peer import configured
from bench.core.runners import MAX_ERRORS, DSPy, Tunesmith
from bench.mipro.runners import RoleTally, one_line
from bench.shapes.cases import Case, examples, signature
from bench.shapes.chain import chain_program, step_view
from bench.shapes.meter import Split, SplitMeter
from bench.shapes.optimizers import LENIENT, build, compile_kwargs, second_lm


@dataclass
class Leg:
    """One framework on one case and seed: accuracy, counts, tokens, time split."""

    framework: str
    case: str
    seed: int
    accuracy: float | None  # held-out, percent; None when the leg died
    calls: int
    prompt_tokens: int
    completion_tokens: int
    evaluated_prompt_tokens: int
    split: Split = field(default_factory=Split)
    compile_wall: float = 0.0
    load: tuple[float, float] = (0.0, 0.0)
    notes: str = ""
    framework_calls: int = 0
    error_type: str = ""  # set when the leg died
    error: str = ""  # the error's message, one line
    peer: str = ""  # DSPy's configuration (bench/core/peer.py); "" for Tunesmith
    rows: list[list[float]] = field(default_factory=list)  # held-out [parsed, score] per row
    parse: dict[str, ParseCounts] = field(default_factory=dict)  # DSPy's replies, by LM role
    steps: list[dict[str, Any]] = field(default_factory=list)  # a multi-step case's step view


class ShapeRunner:
    """Mixin: the case's program, metric and rows over a few-shot runner's LM and counters."""

    case: Case
    module: Any
    tally: RoleTally | None = None  # DSPy: counts the proposer LM and its copies
    last_steps: list[dict[str, Any]] = []  # the last evaluation's step view (multi-step cases)

    def setup(self, case: Case, rows: list[list[dict]]) -> None:
        self.case = case
        self.train, self.val, self.test = (examples(case, self.module, r) for r in rows)

    def student(self) -> Any:
        if self.case.steps:
            return chain_program(self.case, self.module)
        sig = signature(self.case, self.module)
        kind = self.module.ChainOfThought if self.case.chain_of_thought else self.module.Predict
        return kind(sig)

    def optimizer(self) -> Any:
        """The optimizer of `--optimizer` (bench/shapes/optimizers.py), its second LM counted."""
        helper = second_lm(self.module, self.args, self.tally)
        self.extra_lms.append(helper)
        return build(self.module, self.case.metric, self.args, helper, self.train)

    def evaluator(self) -> Any:
        kwargs: dict[str, Any] = {"display_progress": False} if self.module is dspy else {}
        return self.module.Evaluate(
            devset=self.test,
            metric=self.case.metric,
            num_threads=self.args.threads,
            max_errors=MAX_ERRORS,
            **kwargs,
        )

    def output_names(self) -> list[str]:
        return list(self.case.outputs)

    def marks(self, result: Any) -> float:
        """The per-row marks and score (`Framework.marks`), and a multi-step case's step view."""
        self.last_steps = step_view(self.case, list(result.results)) if self.case.steps else []
        return super().marks(result)  # type: ignore[misc]

    def compile_context(self) -> contextlib.AbstractContextManager[Any]:
        """Around the compile and the evaluation: DSPy's configuration (with the lenient proposer
        parse where the optimizer needs it)."""
        return contextlib.nullcontext()

    def leg(self, seed: int, meter: SplitMeter) -> Leg:
        """Compile and score held-out; an exception ends the leg as died, with what it cost."""
        calls, tokens = self.counters()
        parsed = self.parse_counts()
        reading = meter.read()
        load = os.getloadavg()[0]
        mark = meter.start()
        start = time.perf_counter()
        compile_wall, accuracy, notes, died = 0.0, None, "", None
        self.last_marks, self.last_steps = [], []
        try:
            with contextlib.redirect_stdout(sys.stderr), self.compile_context():
                kwargs = compile_kwargs(self.module, self.args, self.train, self.val)
                program = self.optimizer().compile(self.student(), **kwargs)
                compile_wall = time.perf_counter() - start
                accuracy = self.marks(self.evaluator()(program))
            notes = " + ".join(str(len(p.demos)) for p in program.predictors()) + " demos kept"
        except Exception as exc:  # noqa: BLE001 - a leg that raises is a result here
            compile_wall = compile_wall or time.perf_counter() - start
            died = exc
        split = meter.stop(mark)
        used: MeterReading = meter.read() - reading
        now_calls, _ = self.counters()
        if self.args.served:
            used = MeterReading(calls=now_calls - calls)
        return Leg(
            framework=self.name,
            case=self.case.name,
            seed=seed,
            accuracy=accuracy,
            calls=used.calls,
            framework_calls=now_calls - calls,
            prompt_tokens=used.prompt_tokens,
            completion_tokens=used.completion_tokens,
            evaluated_prompt_tokens=used.evaluated_prompt_tokens,
            split=split,
            compile_wall=compile_wall,
            load=(round(load, 1), round(os.getloadavg()[0], 1)),
            notes=notes,
            error_type="" if died is None else type(died).__name__,
            error="" if died is None else one_line(str(died)),
            peer=self.config,
            rows=self.last_marks,
            parse=parse_delta(self.parse_counts(), parsed),
            steps=self.last_steps,
        )


class TunesmithShapes(ShapeRunner, Tunesmith):
    module = ts

    def __init__(self, args: argparse.Namespace, meter: SplitMeter) -> None:
        Tunesmith.__init__(self, EMPTY, args, meter, signature=None)  # type: ignore[arg-type]
        self.extra_lms: list[Any] = []
        if args.served:
            model, api_base, api_key = args.served
            self.lm = ts.LM(model, api_base=api_base, api_key=api_key, temperature=0.0,
                            max_tokens=args.max_tokens, cache=False)  # fmt: skip
            ts.configure(lm=self.lm, num_threads=args.threads)

    def counters(self) -> tuple[int, int]:
        totals = [lm.ledger.totals() for lm in [self.lm, *self.extra_lms]]
        return sum(t.calls for t in totals), sum(t.total_tokens for t in totals)


class DSPyShapes(ShapeRunner, DSPy):
    module = dspy

    def __init__(self, args: argparse.Namespace, meter: SplitMeter) -> None:
        DSPy.__init__(self, EMPTY, args, meter, signature=None)  # type: ignore[arg-type]
        self.extra_lms: list[Any] = []
        self.tally = RoleTally()
        if args.served:
            model, api_base, api_key = args.served
            self.lm = dspy.LM(model, api_base=api_base, api_key=api_key, engine="litellm",
                              temperature=0.0, max_tokens=args.max_tokens, cache=False)  # fmt: skip
            dspy.configure(lm=self.lm, max_errors=MAX_ERRORS)

    def counters(self) -> tuple[int, int]:
        """The task LM's history plus the proposer LMs' tally (their copies included)."""
        usage = [h.get("usage") or {} for h in self.lm.history]
        tokens = sum(int(u.get("total_tokens") or 0) for u in usage)
        roles = self.tally.read().values()
        tokens += sum(u.prompt_tokens + u.completion_tokens for u in roles)
        return len(usage) + sum(u.calls for u in roles), tokens

    def compile_context(self) -> contextlib.AbstractContextManager[Any]:
        return configured(self.config, LENIENT.get(self.args.optimizer, ()))


class _Empty:
    train: list = []
    val: list = []
    test: list = []
    labels: list = []


EMPTY: Any = _Empty()


def leg_dict(leg: Leg) -> dict[str, Any]:
    return asdict(leg)


def progress(leg: Leg) -> Leg:
    """One line per leg on stdout (a died leg: its error, calls and wall)."""
    s = leg.split
    if leg.accuracy is None:
        print(
            f"[{time.strftime('%H:%M:%S')}] {leg.case} seed {leg.seed} {leg.framework:>10}: "
            f"died: {leg.error_type}: {leg.error} ({leg.calls} calls, wall {s.wall:.1f}s)",
            flush=True,
        )
        return leg
    print(
        f"[{time.strftime('%H:%M:%S')}] {leg.case} seed {leg.seed} {leg.framework:>10}: "
        f"acc {leg.accuracy:.1f}%, {leg.calls} calls, wall {s.wall:.1f}s "
        f"(model {s.model:.1f}: prompt {s.prompt:.1f} gen {s.generation:.1f} "
        f"other {s.model_other:.1f}; framework {s.framework:.1f}, idle {s.idle:.1f}; "
        f"{s.fallbacks} fallbacks {s.fallback_seconds:.1f}s)",
        flush=True,
    )
    return leg
